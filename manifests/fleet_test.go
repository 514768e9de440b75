package manifests_test

import (
	"flag"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/internal/golden"
	"github.com/gatebridge/gatebridge/internal/kubetest"
	"github.com/gatebridge/gatebridge/manifests"
)

var update = flag.Bool("update", false, "rewrite "+manifests.IngressFleetFile+" from the generator")

// TestIngressFleetGolden holds the committed fleet of the IngressClass to what the generator prints.
func TestIngressFleetGolden(t *testing.T) {
	if manifests.IngressFleetOptions.Fleet != convert.IngressFleet("gatebridge") {
		t.Errorf("the committed fleet is %q, the IngressClass gatebridge is served by %q", manifests.IngressFleetOptions.Fleet, convert.IngressFleet("gatebridge"))
	}
	got, err := manifests.Fleet(manifests.IngressFleetOptions)
	if err != nil {
		t.Fatal(err)
	}
	golden.Compare(t, manifests.IngressFleetFile, got, *update)
}

// fleetObjects is a generated fleet, decoded.
type fleetObjects struct {
	configMap  corev1.ConfigMap
	deployment appsv1.Deployment
	service    corev1.Service
	bootstrap  map[string]any
}

func decodeFleet(t *testing.T, b []byte) fleetObjects {
	t.Helper()
	objs, err := kubetest.DecodeManifests(b)
	if err != nil {
		t.Fatal(err)
	}
	var f fleetObjects
	for _, o := range objs {
		switch o.GetKind() {
		case "ConfigMap":
			fromUnstructured(t, o, &f.configMap)
		case "Deployment":
			fromUnstructured(t, o, &f.deployment)
		case "Service":
			fromUnstructured(t, o, &f.service)
		default:
			t.Errorf("unexpected %s %s", o.GetKind(), o.GetName())
		}
	}
	if len(objs) != 3 {
		t.Fatalf("%d objects, want a ConfigMap, a Deployment and a Service", len(objs))
	}
	if err := yaml.Unmarshal([]byte(f.configMap.Data["bootstrap.yaml"]), &f.bootstrap); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	return f
}

func fromUnstructured(t *testing.T, u *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, into, true); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

// lookup follows a path of map keys and list indexes through decoded YAML.
func lookup(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestFleet(t *testing.T) {
	t.Run("a Gateway's fleet on its own ports, behind a port offset, with delta ADS", func(t *testing.T) {
		fleet := convert.GatewayFleet("shop", "web")
		b, err := manifests.Fleet(manifests.FleetOptions{Fleet: fleet, Namespace: "edge", Ports: []uint32{8080, 443}, PortOffset: 10000, Delta: true, Replicas: 3})
		if err != nil {
			t.Fatal(err)
		}
		f := decodeFleet(t, b)
		want := []corev1.ServicePort{
			{Name: "port-8080", Port: 8080, TargetPort: intstr.FromInt32(18080)},
			{Name: "https", Port: 443, TargetPort: intstr.FromInt32(10443)},
		}
		if diff := cmp.Diff(want, f.service.Spec.Ports); diff != "" {
			t.Errorf("Service ports (-want +got):\n%s", diff)
		}
		if f.service.Spec.Type != corev1.ServiceTypeLoadBalancer || f.service.Labels[manifests.FleetLabel] != fleet || f.service.Namespace != "edge" {
			t.Errorf("Service %s/%s type %s labels %v, want a LoadBalancer in edge labelled with the fleet", f.service.Namespace, f.service.Name, f.service.Spec.Type, f.service.Labels)
		}
		for _, c := range []struct {
			what string
			path []any
			want string
		}{
			{"node cluster", []any{"node", "cluster"}, fleet},
			{"xds address", []any{"staticResources", "clusters", 0, "loadAssignment", "endpoints", 0, "lbEndpoints", 0, "endpoint", "address", "socketAddress", "address"}, "gatebridge.edge"},
			{"ADS flavour", []any{"dynamicResources", "adsConfig", "apiType"}, "DELTA_GRPC"},
		} {
			if got := lookup(f.bootstrap, c.path...); got != c.want {
				t.Errorf("bootstrap %s = %v, want %s", c.what, got, c.want)
			}
		}
		if r := f.deployment.Spec.Replicas; r == nil || *r != 3 {
			t.Errorf("replicas %v, want 3", r)
		}
	})

	t.Run("every Envoy of the fleet has its own node id", func(t *testing.T) {
		b, err := manifests.IngressFleet()
		if err != nil {
			t.Fatal(err)
		}
		c := decodeFleet(t, b).deployment.Spec.Template.Spec.Containers[0]
		args := strings.Join(c.Args, " ")
		if !strings.Contains(args, "--service-node $(POD_NAME)") || len(c.Env) == 0 || c.Env[0].Name != "POD_NAME" ||
			c.Env[0].ValueFrom == nil || c.Env[0].ValueFrom.FieldRef == nil || c.Env[0].ValueFrom.FieldRef.FieldPath != "metadata.name" {
			t.Errorf("args %q, env %+v: want the node id from the pod name", args, c.Env)
		}
	})

	t.Run("a fleet whose name YAML would read as another type stays a string", func(t *testing.T) {
		b, err := manifests.Fleet(manifests.FleetOptions{Fleet: "on", Namespace: "no"})
		if err != nil {
			t.Fatal(err)
		}
		f := decodeFleet(t, b)
		if f.service.Labels[manifests.FleetLabel] != "on" || f.service.Namespace != "no" || lookup(f.bootstrap, "node", "cluster") != "on" {
			t.Errorf("fleet label %q, namespace %q, node cluster %v", f.service.Labels[manifests.FleetLabel], f.service.Namespace, lookup(f.bootstrap, "node", "cluster"))
		}
	})

	for _, tc := range []struct {
		name string
		opts manifests.FleetOptions
		want string
	}{
		{"no fleet", manifests.FleetOptions{}, "a fleet is required"},
		{"a fleet that is no object name", manifests.FleetOptions{Fleet: "gateway-shop-web.example"}, `name "gateway-shop-web.example"`},
		{"a fleet too long for a label", manifests.FleetOptions{Fleet: "gateway-" + strings.Repeat("a", 60), Name: "long"}, "a label value"},
		{"a port given twice", manifests.FleetOptions{Fleet: "f", Ports: []uint32{80, 80}}, "port 80 given twice"},
		{"a port beyond 65535 once offset", manifests.FleetOptions{Fleet: "f", Ports: []uint32{60000}, PortOffset: 10000}, "is not a port"},
		{"a port on Envoy's admin interface", manifests.FleetOptions{Fleet: "f", Ports: []uint32{9000}, PortOffset: 10000}, "admin interface"},
		{"a bad xDS address", manifests.FleetOptions{Fleet: "f", XDS: "gatebridge"}, "xds address"},
		{"an image with a quote", manifests.FleetOptions{Fleet: "f", Image: `envoy"`}, "image"},
	} {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			_, err := manifests.Fleet(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one that says %q", err, tc.want)
			}
		})
	}
}
