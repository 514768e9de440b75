package e2e

import (
	"context"
	"net"
	"testing"
	"time"

	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/internal/kubetest"
	gatewayapicrds "github.com/gatebridge/gatebridge/manifests/crds/gateway-api"
)

// startCluster starts a real control plane with the standard Gateway API CRDs and the namespace shop
// (with its default ServiceAccount when the controller manager runs: pods need it), then applies
// manifests. It returns a context that bounds the test's API calls (two minutes), the cluster and a
// Gateway API client of it.
func startCluster(t testing.TB, opts kubetest.Options, manifests string) (context.Context, *kubetest.Cluster, gwclient.Interface) {
	t.Helper()
	cluster := kubetest.Start(t, opts)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	crds, err := gatewayapicrds.Bundle(gatewayapicrds.Standard)
	if err != nil {
		t.Fatal(err)
	}
	if err := cluster.CreateNamespace(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.Apply(ctx, append(crds, "---\n"+manifests...)); err != nil {
		t.Fatal(err)
	}
	gw, err := gwclient.NewForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, cluster, gw
}

// serveController runs gatebridge as a controller of cluster until the test ends, with opts for all
// but the clients and the logger; it returns the controller and its xDS address.
func serveController(t testing.TB, cluster *kubetest.Cluster, gw gwclient.Interface, opts bridge.ControllerOptions) (*bridge.Controller, string) {
	t.Helper()
	opts.Kube, opts.Gateway, opts.Log = cluster.Client, gw, testLog()
	ctrl := bridge.NewController(opts)
	return ctrl, serve(t, ctrl.Run)
}

// controllerFleets is gatebridge as a controller of a cluster with the harnesses of two fleets: the
// Gateway shop/web's, and the Ingress fleet's (on Gateway port 81).
type controllerFleets struct {
	ctrl             *bridge.Controller
	xds              string
	gateway, ingress *harness
}

// serveControllerFleets runs the controller of controllerFleets (its /healthz, /readyz and /metrics on
// health unless it is nil); the fleets' Envoys wait for startEnvoys.
func serveControllerFleets(t testing.TB, cluster *kubetest.Cluster, gw gwclient.Interface, health net.Listener) *controllerFleets {
	t.Helper()
	f := &controllerFleets{gateway: newHarness(t), ingress: new(harness)}
	f.gateway.ports[81] = freePort(t)
	// Both harnesses share the ports: the Ingress fleet's Envoy binds Gateway port 81 where the
	// controller's options put it.
	*f.ingress = *f.gateway
	f.ingress.httpPort, f.ingress.adminPort = 81, freePort(t)
	f.ctrl, f.xds = serveController(t, cluster, gw, bridge.ControllerOptions{
		Envoy: f.gateway.envoyOptions(), HealthListener: health,
		Translate: convert.Options{IngressHTTPPort: 81, IngressHTTPSPort: 444, IngressAddresses: []string{"192.0.2.10"}},
	})
	return f
}

// startEnvoys starts the Envoys of both fleets.
func (f *controllerFleets) startEnvoys() {
	f.gateway.startEnvoy("gateway-shop-web", f.xds)
	f.ingress.startEnvoy("ingress-gatebridge", f.xds)
}

// startControllerFleets runs controllerFleets with their Envoys.
func startControllerFleets(t testing.TB, cluster *kubetest.Cluster, gw gwclient.Interface) *controllerFleets {
	t.Helper()
	f := serveControllerFleets(t, cluster, gw, nil)
	f.startEnvoys()
	return f
}
