package kubetest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/clientcmd"

	gatewayapicrds "github.com/gatebridge/gatebridge/manifests/crds/gateway-api"
)

// TestVersionMatchesToolsModule keeps Version equal to the version hack/k8s builds.
func TestVersionMatchesToolsModule(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "hack", "k8s", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*k8s\.io/kubernetes (v\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("hack/k8s/go.mod does not require k8s.io/kubernetes")
	}
	if string(m[1]) != Version {
		t.Errorf("hack/k8s builds kubernetes %s, kubetest.Version is %s", m[1], Version)
	}
}

func TestCluster(t *testing.T) {
	start := time.Now()
	c := Start(t, Options{ControllerManager: true})
	t.Logf("control plane with controller manager ready in %v", time.Since(start).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	v, err := c.Client.Discovery().ServerVersion()
	if err != nil {
		t.Fatalf("server version: %v", err)
	}
	if v.GitVersion != Version {
		t.Errorf("server version %s, want %s", v.GitVersion, Version)
	}
	t.Run("kubeconfig", func(t *testing.T) { testKubeconfig(t, c) })
	t.Run("endpointslices", func(t *testing.T) { testEndpointSlices(ctx, t, c) })
	t.Run("gateway-api", func(t *testing.T) { testGatewayAPI(ctx, t, c) })
}

func testKubeconfig(t *testing.T, c *Cluster) {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		t.Fatalf("load kubeconfig: %v", err)
	}
	cs, err := c.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Discovery().ServerVersion(); err != nil {
		t.Errorf("new client: %v", err)
	}
	if cfg.Host != c.Config.Host {
		t.Errorf("kubeconfig server %s, config host %s", cfg.Host, c.Config.Host)
	}
}

// testEndpointSlices checks that the endpointslice controller runs: a Service with a selector and a
// ready Pod on an existing Node get an EndpointSlice with the Pod's IP.
func testEndpointSlices(ctx context.Context, t *testing.T, c *Cluster) {
	const ns, podIP = "shop", "10.244.0.7"
	if err := c.CreateNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	core := c.Client.CoreV1()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}}
	if _, err := core.Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create node: %v", err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
	if _, err := core.Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create service: %v", err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: ns, Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{
			NodeName:   node.Name,
			Containers: []corev1.Container{{Name: "web", Image: "web", Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}},
		},
	}
	pod, err := core.Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod: %v", err)
	}
	// No kubelet: the test plays its part and reports the Pod running and ready.
	pod.Status = corev1.PodStatus{
		Phase:      corev1.PodRunning,
		PodIP:      podIP,
		PodIPs:     []corev1.PodIP{{IP: podIP}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
	}
	if _, err := core.Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update pod status: %v", err)
	}
	created := time.Now()
	slice := waitEndpointSlice(ctx, t, c, ns, svc.Name, podIP)
	t.Logf("endpointslice %s after %v", slice.Name, time.Since(created).Round(time.Millisecond))
	if got := slice.Ports; len(got) != 1 || got[0].Port == nil || *got[0].Port != 8080 {
		t.Errorf("endpointslice ports %+v, want one port 8080", got)
	}
}

func waitEndpointSlice(ctx context.Context, t *testing.T, c *Cluster, ns, svc, ip string) *discoveryv1.EndpointSlice {
	t.Helper()
	sel := metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc}
	for {
		list, err := c.Client.DiscoveryV1().EndpointSlices(ns).List(ctx, sel)
		if err != nil {
			t.Fatalf("list endpointslices: %v", err)
		}
		for i, s := range list.Items {
			for _, ep := range s.Endpoints {
				ready := ep.Conditions.Ready != nil && *ep.Conditions.Ready
				if len(ep.Addresses) == 1 && ep.Addresses[0] == ip && ready {
					return &list.Items[i]
				}
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no ready endpoint %s in the endpointslices of service %s/%s: %+v", ip, ns, svc, list.Items)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// testGatewayAPI applies the experimental channel of the Gateway API CRDs and then a GatewayClass
// through the dynamic client, from the same stream and then alone.
func testGatewayAPI(ctx context.Context, t *testing.T, c *Cluster) {
	crds, err := gatewayapicrds.Bundle(gatewayapicrds.Experimental)
	if err != nil {
		t.Fatal(err)
	}
	class := []byte(`
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: gatebridge
spec:
  controllerName: gatebridge.dev/gateway-controller
`)
	start := time.Now()
	objs, err := c.Apply(ctx, append(crds, append([]byte("---\n"), class...)...))
	if err != nil {
		t.Fatalf("apply gateway api: %v", err)
	}
	t.Logf("applied %d objects of the experimental channel and a GatewayClass in %v", len(objs), time.Since(start).Round(time.Millisecond))

	gvr := schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"}
	got, err := c.Dynamic.Resource(gvr).Get(ctx, "gatebridge", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get gatewayclass: %v", err)
	}
	if name, _, _ := unstructured.NestedString(got.Object, "spec", "controllerName"); name != "gatebridge.dev/gateway-controller" {
		t.Errorf("gatewayclass controllerName %q", name)
	}
	route := []byte(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  parentRefs: [{name: web}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
`)
	routes, err := c.Apply(ctx, route)
	if err != nil {
		t.Fatalf("apply httproute: %v", err)
	}
	if ns := routes[0].GetNamespace(); ns != metav1.NamespaceDefault {
		t.Errorf("httproute without a namespace applied to %q, want %q", ns, metav1.NamespaceDefault)
	}
	bad := []byte("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: bad}\nspec: {hostnames: ['-']}\n")
	if _, err := c.Apply(ctx, bad); err == nil {
		t.Errorf("an HTTPRoute with an invalid hostname was accepted: the CRD schema is not enforced")
	}
}

func TestDecodeManifests(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		kinds []string
	}{
		{"empty", "", nil},
		{"comments and separators", "# nothing\n---\n---\n", nil},
		{"two documents", "kind: A\napiVersion: v1\n---\nkind: B\napiVersion: v1\n", []string{"A", "B"}},
		{"leading separator", "---\nkind: A\napiVersion: v1\n", []string{"A"}},
		{"json", `{"kind": "A", "apiVersion": "v1"}`, []string{"A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := DecodeManifests([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, o := range objs {
				kinds = append(kinds, o.GetKind())
			}
			if !slices.Equal(kinds, tt.kinds) {
				t.Errorf("kinds %v, want %v", kinds, tt.kinds)
			}
		})
	}
	if _, err := DecodeManifests([]byte("kind: [")); err == nil {
		t.Error("broken YAML decoded without error")
	}
}
