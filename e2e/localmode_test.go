package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/internal/kubetest"
)

// gatewayPool is the address pool of local mode: inside the namespace every address of it is local.
const gatewayPool = "10.250.0.0/16"

// localModeManifests are three Gateways of the pool: web takes the first free address, fixed asks
// for one of the pool, outside asks for one the pool cannot give.
var localModeManifests = gatewayManifests + "---\n" + addressedGateway("fixed", "10.250.9.9", 8080) + "---\n" +
	addressedGateway("outside", "192.0.2.1", 80) + "---\n" +
	httpRoute("web", "web", "route.example.com", "api") + "---\n" + httpRoute("fixed", "fixed", "fixed.example.com", "api")

// addressedGateway is the manifest of a Gateway of shop with one HTTP listener on port that asks for
// the IP address address.
func addressedGateway(name, address string, port int) string {
	return fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: %s, namespace: shop}
spec:
  gatewayClassName: gatebridge
  addresses: [{type: IPAddress, value: %s}]
  listeners: [{name: http, protocol: HTTP, port: %d}]
`, name, address, port)
}

// TestLocalModeInNetworkNamespace runs the controller as in local mode: Gateways get addresses from a
// pool, the controller starts and supervises an Envoy per fleet which binds the Gateway's address and
// port, and requests go to status.addresses[0] as the conformance suite sends them.
func TestLocalModeInNetworkNamespace(t *testing.T) {
	if os.Getenv(netnsEnv) == "" {
		runInNetworkNamespace(t)
		return
	}
	setUpPodNetwork(t)
	ctx, cluster, gw := startCluster(t, kubetest.Options{ControllerManager: true}, localModeManifests+"---\n"+podManifests)
	(&kubelet{cluster: cluster, namespace: "shop", node: "node-1"}).run(ctx, t, "api-1", "10.244.1.1")
	ctrl, _ := serveController(t, cluster, gw, bridge.ControllerOptions{
		Addressing:  bridge.Addressing{Pool: netip.MustParsePrefix(gatewayPool)},
		LocalEnvoys: &bridge.LocalEnvoys{Dir: t.TempDir()},
	})

	t.Run("each Gateway answers on its own address once Programmed", func(t *testing.T) {
		for _, tc := range []struct{ gateway, host, addr string }{
			{"web", "route.example.com", "10.250.0.1:80"},
			{"fixed", "fixed.example.com", "10.250.9.9:8080"},
		} {
			eventually(t, tc.gateway, func() error {
				if err := programmedAt(ctx, gw, tc.gateway, tc.addr); err != nil {
					return err
				}
				return answersAt(tc.addr, tc.host, "api-1")
			})
		}
	})

	t.Run("an address outside the pool is not usable", func(t *testing.T) {
		eventually(t, "outside", func() error {
			g, err := gw.GatewayV1().Gateways("shop").Get(ctx, "outside", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if c := apimeta.FindStatusCondition(g.Status.Conditions, "Programmed"); c == nil || c.Reason != string(gwapiv1.GatewayReasonAddressNotUsable) {
				return fmt.Errorf("Programmed %+v, want False AddressNotUsable", c)
			}
			return nil
		})
	})

	t.Run("a local Envoy that dies is restarted", func(t *testing.T) {
		pid := ctrl.LocalEnvoys()["gateway-shop-web"]
		if pid == 0 {
			t.Fatalf("no local Envoy for the fleet of web: %v", ctrl.LocalEnvoys())
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		eventually(t, "a new Envoy answers", func() error {
			if now := ctrl.LocalEnvoys()["gateway-shop-web"]; now == 0 || now == pid {
				return fmt.Errorf("Envoy of web: pid %d (was %d)", now, pid)
			}
			return answersAt("10.250.0.1:80", "route.example.com", "api-1")
		})
	})
}

// programmedAt reports whether Gateway shop/name is Programmed with the address of addr (host:port).
func programmedAt(ctx context.Context, gw gwclient.Interface, name, addr string) error {
	g, err := gw.GatewayV1().Gateways("shop").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if !apimeta.IsStatusConditionTrue(g.Status.Conditions, "Programmed") {
		return fmt.Errorf("Gateway %s not Programmed: %+v", name, g.Status.Conditions)
	}
	if len(g.Status.Addresses) != 1 || g.Status.Addresses[0].Value+":"+fmt.Sprint(g.Spec.Listeners[0].Port) != addr {
		return fmt.Errorf("Gateway %s addresses %+v, want %s", name, g.Status.Addresses, addr)
	}
	return nil
}

// answersAt reports whether a request for host sent to addr is answered 200 by backend.
func answersAt(addr, host, backend string) error {
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	if err != nil {
		return err
	}
	req.Host = host
	code, _, e, err := roundTrip(&http.Client{Timeout: 5 * time.Second}, req)
	if err != nil || code != http.StatusOK || e.Backend != backend {
		return fmt.Errorf("GET %s at %s: %d from %q (%v), want 200 from %s", host, addr, code, e.Backend, err, backend)
	}
	return nil
}
