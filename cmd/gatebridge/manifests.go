package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gatebridge/gatebridge/manifests"
	gatebridgecrds "github.com/gatebridge/gatebridge/manifests/crds/gatebridge"
	gatewayapicrds "github.com/gatebridge/gatebridge/manifests/crds/gateway-api"
)

const manifestsUsage = `usage: gatebridge manifests <what> [flags]

Prints manifests to apply with kubectl apply --server-side -f -:
  crds [--channel standard|experimental]   the Gateway API CRDs and gatebridge's RoutePolicy CRD
  install                                  namespace, RBAC, controller, IngressClass, GatewayClass
  envoy --fleet FLEET [flags]              the Envoy fleet of a Gateway or IngressClass`

// runManifests prints the manifests that install gatebridge in a cluster.
func runManifests(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, manifestsUsage)
		return errUsage
	}
	var out []byte
	var err error
	switch args[0] {
	case "crds":
		out, err = crdsManifests(args[1:], stderr)
	case "install":
		if len(args) > 1 {
			fmt.Fprintln(stderr, "usage: gatebridge manifests install")
			return errUsage
		}
		out, err = manifests.Install()
	case "envoy":
		out, err = envoyManifests(args[1:], stderr)
	default:
		fmt.Fprintln(stderr, manifestsUsage)
		return errUsage
	}
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}

func crdsManifests(args []string, stderr io.Writer) ([]byte, error) {
	fs := flag.NewFlagSet("gatebridge manifests crds", flag.ContinueOnError)
	fs.SetOutput(stderr)
	channel := fs.String("channel", string(gatewayapicrds.Standard), "Gateway API release channel: standard or experimental")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return nil, errUsage
	}
	ch := gatewayapicrds.Channel(*channel)
	if ch != gatewayapicrds.Standard && ch != gatewayapicrds.Experimental {
		return nil, fmt.Errorf("--channel %q: want standard or experimental", *channel)
	}
	return crdBundle(ch)
}

// crdBundle is the Gateway API CRDs of a channel followed by gatebridge's own CRDs.
func crdBundle(ch gatewayapicrds.Channel) ([]byte, error) {
	gwapi, err := gatewayapicrds.Bundle(ch)
	if err != nil {
		return nil, err
	}
	own, err := gatebridgecrds.Bundle()
	if err != nil {
		return nil, err
	}
	return append(gwapi, own...), nil
}

func envoyManifests(args []string, stderr io.Writer) ([]byte, error) {
	fs := flag.NewFlagSet("gatebridge manifests envoy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o manifests.FleetOptions
	fs.StringVar(&o.Fleet, "fleet", "", "fleet: ingress-<class> or gateway-<namespace>-<name>")
	fs.StringVar(&o.Name, "name", "", "name of the Deployment and Service (default: the fleet; a DNS label)")
	fs.StringVar(&o.Namespace, "namespace", manifests.DefaultNamespace, "namespace of the fleet: the controller's --fleet-service-namespace")
	fs.StringVar(&o.XDS, "xds", "", "address of gatebridge's xDS server (default: gatebridge.<namespace>:18000)")
	fs.StringVar(&o.Image, "image", manifests.DefaultEnvoyImage, "Envoy image")
	replicas := fs.Int("replicas", manifests.DefaultReplicas, "Envoy replicas")
	ports := portList(manifests.DefaultPorts)
	fs.Var(&ports, "ports", "Service ports, comma separated: the Gateway's listener ports")
	offset := fs.Uint("port-offset", 0, "the controller's --port-offset: Envoy listens on each port plus this")
	fs.BoolVar(&o.Delta, "delta", false, "use incremental (delta) ADS instead of state of the world")
	if err := fs.Parse(args); err != nil || o.Fleet == "" || fs.NArg() > 0 {
		if err == nil {
			fmt.Fprintln(stderr, "usage: gatebridge manifests envoy --fleet FLEET [--namespace NS] [--xds HOST:PORT] [--ports 80,443] [--delta]")
		}
		return nil, errUsage
	}
	if *replicas < 1 || *offset > 65535 {
		return nil, fmt.Errorf("--replicas %d, --port-offset %d: want at least 1 and a port offset", *replicas, *offset)
	}
	o.Replicas, o.Ports, o.PortOffset = int32(*replicas), ports, uint32(*offset)
	return manifests.Fleet(o)
}

// portList is a flag of comma-separated ports.
type portList []uint32

func (p *portList) String() string {
	s := make([]string, len(*p))
	for i, v := range *p {
		s[i] = strconv.FormatUint(uint64(v), 10)
	}
	return strings.Join(s, ",")
}

func (p *portList) Set(v string) error {
	var out portList
	for f := range strings.SplitSeq(v, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 16)
		if err != nil {
			return fmt.Errorf("port %q: %w", f, err)
		}
		out = append(out, uint32(n))
	}
	*p = out
	return nil
}
