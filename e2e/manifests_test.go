package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/internal/envoyproc"
	"github.com/gatebridge/gatebridge/internal/kubetest"
	"github.com/gatebridge/gatebridge/manifests"
)

// TestFleetManifestsValidate runs the real Envoy in validate mode the way a fleet's Deployment runs it
// (its command and arguments, the pod name as node id) on the bootstrap of the fleet's ConfigMap.
func TestFleetManifestsValidate(t *testing.T) {
	bin, err := envoyproc.Binary()
	if errors.Is(err, envoyproc.ErrNotFound) {
		t.Skipf("not validating fleet bootstraps: %v", err)
	}
	ingress, err := manifests.IngressFleet()
	if err != nil {
		t.Fatal(err)
	}
	gateway, err := manifests.Fleet(manifests.FleetOptions{Fleet: convert.GatewayFleet("shop", "web"), Ports: []uint32{8080}, Delta: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, fleet := range map[string][]byte{"ingress fleet (committed)": ingress, "gateway fleet, delta": gateway} {
		t.Run(name, func(t *testing.T) {
			bootstrap, d := fleetBootstrap(t, fleet)
			c := d.Spec.Template.Spec.Containers[0]
			if len(c.Command) != 1 || c.Command[0] != "envoy" {
				t.Fatalf("command %q, want envoy", c.Command)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "bootstrap.yaml")
			if err := os.WriteFile(path, []byte(bootstrap), 0o644); err != nil {
				t.Fatal(err)
			}
			// What the pod would mount and what Kubernetes would expand.
			args := strings.Fields(strings.NewReplacer("/etc/envoy/bootstrap.yaml", path, "$(POD_NAME)", d.Name+"-5d9c7-x2x7q").Replace(strings.Join(c.Args, " ")))
			cmd := exec.Command(bin, append([]string{"--mode", "validate", "--log-path", filepath.Join(dir, "envoy.log")}, args...)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				log, _ := os.ReadFile(filepath.Join(dir, "envoy.log"))
				t.Fatalf("envoy %s: %v\n%s\n%s", strings.Join(cmd.Args[1:], " "), err, out, log)
			}
		})
	}
}

// fleetBootstrap returns the bootstrap and the Deployment of a fleet's manifests.
func fleetBootstrap(t *testing.T, fleet []byte) (string, *appsv1.Deployment) {
	t.Helper()
	objs, err := kubetest.DecodeManifests(fleet)
	if err != nil {
		t.Fatal(err)
	}
	var cm corev1.ConfigMap
	var d appsv1.Deployment
	for _, o := range objs {
		var into any
		switch o.GetKind() {
		case "ConfigMap":
			into = &cm
		case "Deployment":
			into = &d
		default:
			continue
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, into); err != nil {
			t.Fatal(err)
		}
	}
	if cm.Data["bootstrap.yaml"] == "" || d.Name == "" || len(d.Spec.Template.Spec.Containers) == 0 {
		t.Fatalf("the fleet lacks a bootstrap or a Deployment:\n%s", fleet)
	}
	return cm.Data["bootstrap.yaml"], &d
}
