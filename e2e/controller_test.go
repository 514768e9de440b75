package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/internal/kubetest"
)

// controllerManifests are what the controller tests serve: an Ingress and an HTTPRoute on the Gateway
// shop/web, both to the Service api.
var controllerManifests = ingressClass + "---\n" + hostIngress("shop", "ingress.example.com", "api") + "---\n" +
	gatewayManifests + "---\n" + httpRoute("shop", "web", "route.example.com", "api")

// TestControllerThroughEnvoy runs gatebridge as a controller against a real kube-apiserver and two
// real Envoys (the Ingress fleet and a Gateway's fleet), and follows changes made through the API.
func TestControllerThroughEnvoy(t *testing.T) {
	api, other := startBackend(t, "api"), startBackend(t, "other")
	ctx, cluster, gw := startCluster(t, kubetest.Options{}, controllerManifests+"---\n"+service("shop", "api", api.addr))
	health, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The controller's Gateway API status writes are recorded: the API server keeps the resourceVersion
	// of a write that changes nothing, so the objects cannot show a redundant one.
	var writes kubetest.StatusWrites
	recorded, err := gwclient.NewForConfig(writes.Wrap(cluster.Config))
	if err != nil {
		t.Fatal(err)
	}
	f := serveControllerFleets(t, cluster, recorded, health)
	ctrl, gatewayEnvoy, ingressEnvoy := f.ctrl, f.gateway, f.ingress
	healthURL := "http://" + health.Addr().String()

	t.Run("no Envoy has acked: the Gateway is not Programmed yet", func(t *testing.T) {
		eventually(t, "Programmed=False Pending", func() error { return gatewayProgrammed(ctx, gw, metav1.ConditionFalse, "Pending") })
		eventually(t, "ready", func() error { return httpOK(healthURL + "/readyz") })
	})
	f.startEnvoys()
	t.Run("the Envoy acked: Programmed", func(t *testing.T) {
		eventually(t, "Programmed=True", func() error { return gatewayProgrammed(ctx, gw, metav1.ConditionTrue, "Programmed") })
	})

	t.Run("Ingress and HTTPRoute answer through their fleets", func(t *testing.T) {
		eventually(t, "HTTPRoute", func() error { return gatewayEnvoy.answers("route.example.com", "/x", "api") })
		eventually(t, "Ingress", func() error { return ingressEnvoy.answers("ingress.example.com", "/y", "api") })
	})

	t.Run("status is written", func(t *testing.T) {
		eventually(t, "status of every object", func() error { return checkStatus(ctx, cluster, gw) })
	})

	t.Run("a route created through the API answers without restart", func(t *testing.T) {
		pid := gatewayEnvoy.envoy.Pid()
		if _, err := cluster.Apply(ctx, []byte(httpRoute("added", "web", "added.example.com", "api"))); err != nil {
			t.Fatal(err)
		}
		eventually(t, "added route", func() error { return gatewayEnvoy.answers("added.example.com", "/", "api") })
		if gatewayEnvoy.envoy.Pid() != pid || !gatewayEnvoy.envoy.Running() {
			t.Error("Envoy was restarted")
		}
		// The change was measured from the API event to the Envoy's ack, and exported.
		eventually(t, "change-to-ack time", func() error {
			if d, ok := ctrl.ChangeToAck()["gateway-shop-web"]; !ok || d <= 0 {
				return fmt.Errorf("no change-to-ack time for the fleet: %v", ctrl.ChangeToAck())
			}
			return metricsHave(healthURL, `gatebridge_xds_acks_total{fleet="gateway-shop-web"}`, "gatebridge_change_to_ack_seconds_count", `gatebridge_objects{kind="HTTPRoute",state="accepted"} 2`)
		})
	})

	t.Run("a Service's endpoints change", func(t *testing.T) {
		before := writes.Len()
		if _, err := cluster.Apply(ctx, []byte(service("shop", "api", other.addr))); err != nil {
			t.Fatal(err)
		}
		eventually(t, "traffic on the new endpoint", func() error {
			if err := gatewayEnvoy.answers("route.example.com", "/", "other"); err != nil {
				return err
			}
			return ingressEnvoy.answers("ingress.example.com", "/", "other")
		})
		// The sync that served the new endpoint has also written status by the time Last shows it.
		eventually(t, "the sync of the change is complete", func() error { return syncedEndpoint(ctrl, other.addr) })
		if w := writes.Since(before); slices.Contains(w, "/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/shop/status") {
			t.Errorf("the route's status was written again though it did not change (status writes since the change: %v)", w)
		}
	})

	t.Run("a translation note becomes one Event on its object", func(t *testing.T) {
		noted := strings.Replace(hostIngress("noted", "noted.example.com", "api"), "metadata: {name: noted, namespace: shop}",
			"metadata: {name: noted, namespace: shop, annotations: {nginx.ingress.kubernetes.io/configuration-snippet: 'more_set_headers x'}}", 1)
		if _, err := cluster.Apply(ctx, []byte(noted)); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the Event", func() error { return noteEvent(ctx, cluster, "noted", "UnsupportedAnnotation") })
		// Later rebuilds (another change) do not repeat it.
		if _, err := cluster.Apply(ctx, []byte(httpRoute("later", "web", "later.example.com", "api"))); err != nil {
			t.Fatal(err)
		}
		eventually(t, "later route", func() error { return gatewayEnvoy.answers("later.example.com", "/", "other") })
		if err := noteEvent(ctx, cluster, "noted", "UnsupportedAnnotation"); err != nil {
			t.Error(err)
		}
		if err := cluster.Client.NetworkingV1().Ingresses("shop").Delete(ctx, "noted", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a deleted Ingress stops answering", func(t *testing.T) {
		if err := cluster.Client.NetworkingV1().Ingresses("shop").Delete(ctx, "shop", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		// Its fleet has nothing left: it is pushed empty and its Envoy drops the listener.
		eventually(t, "Ingress fleet emptied", func() error {
			if n, err := ingressEnvoy.stat("listener_manager.total_listeners_active"); err != nil || n != 0 {
				return fmt.Errorf("%d active listeners (%v), want 0", n, err)
			}
			return nil
		})
		if !ingressEnvoy.envoy.Running() {
			t.Error("the Ingress fleet's Envoy exited")
		}
		if err := gatewayEnvoy.answers("route.example.com", "/", "other"); err != nil {
			t.Errorf("the Gateway fleet after the Ingress went: %v", err)
		}
	})
}

// noteEvent reports whether Ingress shop/name has exactly one Event of reason, seen once, from gatebridge.
func noteEvent(ctx context.Context, cluster *kubetest.Cluster, name, reason string) error {
	list, err := cluster.Client.CoreV1().Events("shop").List(ctx, metav1.ListOptions{
		FieldSelector: "involvedObject.kind=Ingress,involvedObject.name=" + name + ",reason=" + reason})
	if err != nil {
		return err
	}
	if len(list.Items) != 1 || list.Items[0].Count > 1 || list.Items[0].Source.Component != "gatebridge" || list.Items[0].Type != "Warning" {
		return fmt.Errorf("events of Ingress %s with reason %s: %+v, want one Warning from gatebridge, seen once", name, reason, list.Items)
	}
	return nil
}

// gatewayProgrammed reports whether Gateway shop/web has the Programmed condition wanted.
func gatewayProgrammed(ctx context.Context, gw gwclient.Interface, status metav1.ConditionStatus, reason string) error {
	g, err := gw.GatewayV1().Gateways("shop").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		return err
	}
	c := apimeta.FindStatusCondition(g.Status.Conditions, "Programmed")
	if c == nil || c.Status != status || c.Reason != reason || c.ObservedGeneration != g.Generation {
		return fmt.Errorf("Programmed condition %+v, want %s %s", c, status, reason)
	}
	return nil
}

// httpOK reports whether a GET of url answers 200.
func httpOK(url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// metricsHave reports whether the controller's /metrics shows every series named (a prefix of the line).
func metricsHave(base string, series ...string) error {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	for _, s := range series {
		if !strings.Contains(string(body), "\n"+s) {
			return fmt.Errorf("/metrics has no %s", s)
		}
	}
	return nil
}

// syncedEndpoint reports whether the controller's latest completed sync serves addr as an endpoint.
func syncedEndpoint(ctrl *bridge.Controller, addr string) error {
	res, _ := ctrl.Last()
	if res != nil {
		for _, svc := range res.Snapshot.Services {
			for _, p := range svc.Ports {
				for _, ep := range p.Endpoints {
					if net.JoinHostPort(ep.Address, fmt.Sprint(ep.Port)) == addr {
						return nil
					}
				}
			}
		}
	}
	return fmt.Errorf("no completed sync serves %s yet", addr)
}

// checkStatus reports what is missing from the status gatebridge should have written.
func checkStatus(ctx context.Context, cluster *kubetest.Cluster, gw gwclient.Interface) error {
	gc, err := gw.GatewayV1().GatewayClasses().Get(ctx, "gatebridge", metav1.GetOptions{})
	if err != nil || !apimeta.IsStatusConditionTrue(gc.Status.Conditions, "Accepted") {
		return fmt.Errorf("GatewayClass not Accepted: %v %v", gc.Status.Conditions, err)
	}
	g, err := gw.GatewayV1().Gateways("shop").Get(ctx, "web", metav1.GetOptions{})
	if err != nil || !apimeta.IsStatusConditionTrue(g.Status.Conditions, "Accepted") || len(g.Status.Listeners) != 1 || g.Status.Listeners[0].AttachedRoutes != 1 {
		return fmt.Errorf("Gateway status %+v (%v), want Accepted and one listener with one route", g.Status, err)
	}
	if c := apimeta.FindStatusCondition(g.Status.Conditions, "Accepted"); c.ObservedGeneration != g.Generation {
		return fmt.Errorf("Gateway observedGeneration %d, generation %d", c.ObservedGeneration, g.Generation)
	}
	r, err := gw.GatewayV1().HTTPRoutes("shop").Get(ctx, "shop", metav1.GetOptions{})
	if err != nil || len(r.Status.Parents) != 1 || r.Status.Parents[0].ControllerName != "gatebridge.dev/gateway-controller" ||
		!apimeta.IsStatusConditionTrue(r.Status.Parents[0].Conditions, "Accepted") {
		return fmt.Errorf("HTTPRoute status %+v (%v), want one Accepted parent of gatebridge", r.Status, err)
	}
	ing, err := cluster.Client.NetworkingV1().Ingresses("shop").Get(ctx, "shop", metav1.GetOptions{})
	if err != nil || len(ing.Status.LoadBalancer.Ingress) != 1 || ing.Status.LoadBalancer.Ingress[0].IP != "192.0.2.10" {
		return fmt.Errorf("Ingress status %+v (%v), want the address 192.0.2.10", ing.Status, err)
	}
	return nil
}
