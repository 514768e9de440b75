package bridge

import (
	"context"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwfake "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned/fake"
	gwinformers "sigs.k8s.io/gateway-api/pkg/client/informers/externalversions"
)

// TestKindsStartOnlyWhatIsWatched checks that listing the kinds registers no informer: a Gateway API
// kind whose CRD is not served must never be started (its reflector would fail forever).
func TestKindsStartOnlyWhatIsWatched(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gw := gwfake.NewSimpleClientset()
	kf := informers.NewSharedInformerFactory(kubefake.NewSimpleClientset(), 0)
	gf := gwinformers.NewSharedInformerFactory(gw, 0)
	all := kinds(kf, kf, gf)
	gf.Start(ctx.Done())
	if started := gf.WaitForCacheSync(ctx.Done()); len(started) != 0 {
		t.Fatalf("listing the kinds started %d Gateway API informers", len(started))
	}
	for _, k := range all {
		if k.resource == "gateways" || k.resource == "httproutes" {
			k.start()
		}
	}
	gf.Start(ctx.Done())
	if started := gf.WaitForCacheSync(ctx.Done()); len(started) != 2 {
		t.Errorf("%d Gateway API informers started, want the 2 watched", len(started))
	}
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
