package bridge

import (
	"context"
	"log/slog"
	"reflect"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	fakediscovery "k8s.io/client-go/discovery/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwfake "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned/fake"

	"github.com/gatebridge/gatebridge/convert"
)

// TestCRDKindsFollowDiscovery checks that a Gateway API kind is watched only while discovery finds it
// served: none is started before (its reflector would fail forever), a kind served later is started and
// its objects reach the Input, and one no longer served is dropped; each change asks for a rebuild.
func TestCRDKindsFollowDiscovery(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kube := kubefake.NewSimpleClientset()
	disc := kube.Discovery().(*fakediscovery.FakeDiscovery)
	gw := gwfake.NewSimpleClientset()
	if _, err := gw.GatewayV1().Gateways("shop").Create(ctx, &gwapiv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	gw.ClearActions()
	var changes atomic.Int32
	w := &crdWatcher{kube: kube, kinds: gatewayKinds(gw), onChange: func() { changes.Add(1) }, log: slog.New(slog.DiscardHandler), active: map[string]*crdWatch{}}
	serve := func(resources ...string) {
		list := &metav1.APIResourceList{GroupVersion: gwapiv1.GroupVersion.String()}
		for _, r := range resources {
			list.APIResources = append(list.APIResources, metav1.APIResource{Name: r})
		}
		disc.Resources = []*metav1.APIResourceList{list}
	}
	// step runs discovery and checks the kinds missing, the Gateways in the Input, and that a rebuild was
	// asked for (or not).
	step := func(what string, rebuild bool, wantGateways, wantMissing int) {
		t.Helper()
		before := changes.Load()
		if err := w.discover(ctx); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var in convert.Input
		for _, list := range w.lists() {
			if err := list(&in); err != nil {
				t.Fatal(err)
			}
		}
		if rebuilt := changes.Load() > before; rebuilt != rebuild || len(in.Gateways) != wantGateways || len(w.missing()) != wantMissing {
			t.Errorf("%s: rebuild %v, %d Gateways, %d kinds missing; want %v, %d, %d", what, rebuilt, len(in.Gateways), len(w.missing()), rebuild, wantGateways, wantMissing)
		}
	}
	disc.Resources = nil // the group is not served at all
	step("no Gateway API", false, 0, 8)
	for _, a := range gw.Actions() {
		t.Errorf("a client call before any kind is served: %v", a)
	}
	serve("gateways", "httproutes")
	step("two kinds served", true, 1, 6)
	watch := w.active[gwapiv1.GroupVersion.String()+"/gateways"]
	serve("httproutes", "gateways")
	if step("nothing changed", false, 1, 6); w.active[gwapiv1.GroupVersion.String()+"/gateways"] != watch {
		t.Error("the Gateways informer was started again")
	}
	serve("httproutes")
	step("gateways no longer served", true, 0, 7)
}

func TestOnlyStatusChanged(t *testing.T) {
	route := func(gen int64, labels map[string]string, parents int) *gwapiv1.HTTPRoute {
		r := &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Generation: gen, Labels: labels}}
		r.Status.Parents = make([]gwapiv1.RouteParentStatus, parents)
		return r
	}
	cases := []struct {
		name     string
		old, cur any
		want     bool
	}{
		{"status only", route(1, nil, 0), route(1, nil, 1), true},
		{"spec changed", route(1, nil, 0), route(2, nil, 0), false},
		{"labels changed", route(1, nil, 0), route(1, map[string]string{"a": "b"}, 0), false},
		{"no generation (kinds without spec tracking)", route(0, nil, 0), route(0, nil, 1), false},
		{"Ingress status only", &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Generation: 3}}, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Generation: 3}}, true},
	}
	for _, tc := range cases {
		if got := onlyStatusChanged(tc.old, tc.cur); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestKeepCACert checks that the ConfigMap cache keeps a ConfigMap's identity and ca.crt, and nothing
// else of its data.
func TestKeepCACert(t *testing.T) {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "ca", Namespace: "app", ResourceVersion: "7", Labels: map[string]string{"a": "b"}},
		Data:       map[string]string{"ca.crt": "PEM", "app.properties": "password=hunter2"},
		BinaryData: map[string][]byte{"blob": []byte("x")},
	}
	got, err := keepCACert(cm)
	if err != nil {
		t.Fatal(err)
	}
	out := got.(*corev1.ConfigMap)
	if out.Name != "ca" || out.Namespace != "app" || out.ResourceVersion != "7" || len(out.Data) != 1 || out.Data["ca.crt"] != "PEM" || out.BinaryData != nil || out.Labels != nil {
		t.Errorf("kept %+v", out)
	}
	if tomb := (cache.DeletedFinalStateUnknown{Key: "app/ca"}); !reflect.DeepEqual(mustKeep(t, tomb), tomb) {
		t.Error("a tombstone was changed")
	}
}

func mustKeep(t *testing.T, obj any) any {
	t.Helper()
	out, err := keepCACert(obj)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
