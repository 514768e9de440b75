package main

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/gatebridge/gatebridge/manifests"
	gatebridgecrds "github.com/gatebridge/gatebridge/manifests/crds/gatebridge"
	gatewayapicrds "github.com/gatebridge/gatebridge/manifests/crds/gateway-api"
)

// TestManifests checks that each subcommand prints what the manifests packages hold: the committed
// Ingress fleet is what `gatebridge manifests envoy` prints with its defaults.
func TestManifests(t *testing.T) {
	fleet, err := manifests.IngressFleet()
	if err != nil {
		t.Fatal(err)
	}
	install, err := manifests.Install()
	if err != nil {
		t.Fatal(err)
	}
	experimental, err := gatewayapicrds.Bundle(gatewayapicrds.Experimental)
	if err != nil {
		t.Fatal(err)
	}
	own, err := gatebridgecrds.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []byte
	}{
		{[]string{"manifests", "envoy", "--fleet", manifests.IngressFleetOptions.Fleet}, fleet},
		{[]string{"manifests", "install"}, install},
		{[]string{"manifests", "crds", "--channel", "experimental"}, append(experimental, own...)},
	} {
		code, out, errOut := runCLI(t, tc.args...)
		if code != 0 || out != string(tc.want) {
			t.Errorf("%s: exit %d, stderr %q, output equal to the package's: %v", strings.Join(tc.args, " "), code, errOut, out == string(tc.want))
		}
	}
}

func TestManifestsErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"manifests"}, 2, "usage: gatebridge manifests"},
		{[]string{"manifests", "everything"}, 2, "usage: gatebridge manifests"},
		{[]string{"manifests", "envoy"}, 2, "usage: gatebridge manifests envoy"},
		{[]string{"manifests", "envoy", "--fleet", "f", "--ports", "80,x"}, 2, `invalid value "80,x"`},
		{[]string{"manifests", "envoy", "--fleet", "gateway-a-b.c"}, 1, "must consist of lower case"},
		{[]string{"manifests", "envoy", "--fleet", "f", "--replicas", "0"}, 1, "--replicas 0"},
		{[]string{"manifests", "crds", "--channel", "beta"}, 1, `--channel "beta"`},
		{[]string{"manifests", "install", "extra"}, 2, "usage: gatebridge manifests install"},
	} {
		code, _, errOut := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.want)
		}
	}
}

// TestControllerDeploymentFlags checks that the controller's flags accept the arguments the install
// manifests give it.
func TestControllerDeploymentFlags(t *testing.T) {
	install, err := manifests.Install()
	if err != nil {
		t.Fatal(err)
	}
	args := deploymentArgs(t, install, "gatebridge")
	if len(args) == 0 || args[0] != "controller" {
		t.Fatalf("the controller Deployment runs %q, want the controller command", args)
	}
	// -h after the arguments stops the command once they have all been parsed.
	code, _, errOut := runCLI(t, append(args, "-h")...)
	if code != 2 || strings.Contains(errOut, "flag provided but not defined") || strings.Contains(errOut, "invalid") {
		t.Errorf("gatebridge %s: exit %d, stderr:\n%s", strings.Join(args, " "), code, errOut)
	}
}

// deploymentArgs returns the arguments of the first container of the named Deployment.
func deploymentArgs(t *testing.T, stream []byte, name string) []string {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(stream), 4096)
	for {
		var d appsv1.Deployment
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if d.Kind == "Deployment" && d.Name == name {
			return d.Spec.Template.Spec.Containers[0].Args
		}
	}
	t.Fatalf("no Deployment %s", name)
	return nil
}
