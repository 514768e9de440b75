package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/internal/kubetest"
	gatewayapicrds "github.com/gatebridge/gatebridge/manifests/crds/gateway-api"
)

const controllerManifests = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
` + ingressClass + `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: shop}
spec:
  ingressClassName: gatebridge
  rules:
  - host: ingress.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}
---
` + gatewayManifests + `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs: [{name: web}]
  hostnames: [route.example.com]
  rules: [{backendRefs: [{name: api, port: 80}]}]
`

// TestControllerThroughEnvoy runs gatebridge as a controller against a real kube-apiserver and two
// real Envoys (the Ingress fleet and a Gateway's fleet), and follows changes made through the API.
func TestControllerThroughEnvoy(t *testing.T) {
	cluster := kubetest.Start(t, kubetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	crds, err := gatewayapicrds.Bundle(gatewayapicrds.Standard)
	if err != nil {
		t.Fatal(err)
	}
	api, other := startBackend(t, "api"), startBackend(t, "other")
	if _, err := cluster.Apply(ctx, append(crds, "---\n"+controllerManifests+"---\n"+service("shop", "api", api.addr)...)); err != nil {
		t.Fatal(err)
	}
	gw, err := gwclient.NewForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}

	gatewayEnvoy := newHarness(t, 80)
	gatewayEnvoy.ports[81] = freePort(t) // the Ingress fleet's HTTP port
	ingressEnvoy := *gatewayEnvoy
	ingressEnvoy.httpPort, ingressEnvoy.adminPort = 81, freePort(t)
	ctrl := bridge.NewController(bridge.ControllerOptions{
		Kube: cluster.Client, Gateway: gw, Log: testLog(), Envoy: gatewayEnvoy.envoyOptions(),
		Translate: convert.Options{IngressHTTPPort: 81, IngressHTTPSPort: 444, IngressAddresses: []string{"192.0.2.10"}},
	})
	lis := listenLocal(t)
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ctrl.Run(runCtx, lis) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("controller: %v", err)
		}
	})
	gatewayEnvoy.startEnvoy("gateway-shop-web", lis.Addr().String())
	ingressEnvoy.startEnvoy("ingress-gatebridge", lis.Addr().String())

	t.Run("Ingress and HTTPRoute answer through their fleets", func(t *testing.T) {
		eventually(t, "HTTPRoute", func() error { return gatewayEnvoy.answers("route.example.com", "/x", "api") })
		eventually(t, "Ingress", func() error { return ingressEnvoy.answers("ingress.example.com", "/y", "api") })
	})

	t.Run("status is written", func(t *testing.T) {
		eventually(t, "status of every object", func() error { return checkStatus(ctx, cluster, gw) })
	})

	t.Run("a route created through the API answers without restart", func(t *testing.T) {
		pid := gatewayEnvoy.envoy.Pid()
		route := &gwapiv1.HTTPRoute{
			ObjectMeta: metav1.ObjectMeta{Name: "added", Namespace: "shop"},
			Spec: gwapiv1.HTTPRouteSpec{
				CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: []gwapiv1.ParentReference{{Name: "web"}}},
				Hostnames:       []gwapiv1.Hostname{"added.example.com"},
				Rules:           []gwapiv1.HTTPRouteRule{{BackendRefs: []gwapiv1.HTTPBackendRef{{BackendRef: gwapiv1.BackendRef{BackendObjectReference: gwapiv1.BackendObjectReference{Name: "api", Port: ptr(gwapiv1.PortNumber(80))}}}}}},
			},
		}
		if _, err := gw.GatewayV1().HTTPRoutes("shop").Create(ctx, route, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "added route", func() error { return gatewayEnvoy.answers("added.example.com", "/", "api") })
		if gatewayEnvoy.envoy.Pid() != pid || !gatewayEnvoy.envoy.Running() {
			t.Error("Envoy was restarted")
		}
	})

	t.Run("a Service's endpoints change", func(t *testing.T) {
		before, err := gw.GatewayV1().HTTPRoutes("shop").Get(ctx, "shop", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			after, err := gw.GatewayV1().HTTPRoutes("shop").Get(ctx, "shop", metav1.GetOptions{})
			if err != nil || after.ResourceVersion != before.ResourceVersion {
				t.Errorf("the route's status was written again though it did not change (resourceVersion %s → %s, %v)", before.ResourceVersion, after.ResourceVersion, err)
			}
		}()
		if _, err := cluster.Apply(ctx, []byte(service("shop", "api", other.addr))); err != nil {
			t.Fatal(err)
		}
		eventually(t, "traffic on the new endpoint", func() error {
			if err := gatewayEnvoy.answers("route.example.com", "/", "other"); err != nil {
				return err
			}
			return ingressEnvoy.answers("ingress.example.com", "/", "other")
		})
	})

	t.Run("a deleted Ingress stops answering", func(t *testing.T) {
		if err := cluster.Client.NetworkingV1().Ingresses("shop").Delete(ctx, "shop", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "Ingress gone", func() error {
			if code, _, _, err := ingressEnvoy.get("ingress.example.com", "/", nil); err == nil && code == 200 {
				return fmt.Errorf("still answers 200")
			}
			return nil
		})
	})
}

func ptr[T any](v T) *T { return &v }

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
	if g.Status.Conditions[0].ObservedGeneration != g.Generation {
		return fmt.Errorf("Gateway observedGeneration %d, generation %d", g.Status.Conditions[0].ObservedGeneration, g.Generation)
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
