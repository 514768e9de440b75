package bridge

import (
	"testing"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/envoyxds"
)

// TestProgrammedWaitsForAck follows one Gateway through versions: Programmed only once its fleet acked
// a version that carries its current generation, kept across route-only changes.
func TestProgrammedWaitsForAck(t *testing.T) {
	ref := convert.ObjectRef{Kind: "Gateway", Namespace: "ns", Name: "web"}
	const fleet = "gateway-ns-web"
	signals := 0
	var latencies []time.Duration
	a := newAckTracker(func() { signals++ }, func(d time.Duration) { latencies = append(latencies, d) })
	gw := gwapiv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", Generation: 1}}
	programmed := func() (bool, string) {
		in := convert.Input{Gateways: []gwapiv1.Gateway{gw}}
		st := convert.Status{Gateways: map[convert.ObjectRef]gwapiv1.GatewayStatus{ref: {
			Conditions: []metav1.Condition{{Type: "Programmed", Status: metav1.ConditionTrue, Reason: "Programmed"}},
			Listeners:  []gwapiv1.ListenerStatus{{Name: "http", Conditions: []metav1.Condition{{Type: "Programmed", Status: metav1.ConditionTrue, Reason: "Programmed"}}}},
		}}}
		a.holdUnacked(&in, &st, metav1.Now())
		c := apimeta.FindStatusCondition(st.Gateways[ref].Conditions, "Programmed")
		l := apimeta.FindStatusCondition(st.Gateways[ref].Listeners[0].Conditions, "Programmed")
		if (c.Status == metav1.ConditionTrue) != (l.Status == metav1.ConditionTrue) {
			t.Fatalf("Gateway and listener disagree: %v / %v", c, l)
		}
		return c.Status == metav1.ConditionTrue, c.Reason
	}
	publish := func(version string, gen int64, acked ...string) {
		gw.Generation = gen
		var nodes []envoyxds.NodeStatus
		for _, v := range acked {
			nodes = append(nodes, envoyxds.NodeStatus{Node: "e1", Fleet: fleet, Acked: v})
		}
		a.published(map[string]string{fleet: version}, map[string]map[convert.ObjectRef]int64{fleet: {ref: gen}},
			time.Now().Add(-time.Second), []envoyxds.FleetStatus{{Fleet: fleet, Nodes: nodes}})
	}

	publish("v1", 1)
	if ok, reason := programmed(); ok || reason != "Pending" {
		t.Fatalf("before any ack: Programmed=%v %s, want False Pending", ok, reason)
	}
	a.onAck(fleet, "e1", "v0") // an ack of a version that does not carry the Gateway
	if ok, _ := programmed(); ok || signals != 0 {
		t.Fatalf("an unrelated ack programmed the Gateway (signals %d)", signals)
	}
	a.onAck(fleet, "e1", "v1")
	if ok, _ := programmed(); !ok || signals != 1 || len(latencies) != 1 || latencies[0] < time.Second {
		t.Fatalf("after the ack: Programmed=%v, signals %d, latencies %v", ok, signals, latencies)
	}
	publish("v2", 1) // a route changed; the Gateway did not
	if ok, _ := programmed(); !ok {
		t.Fatal("a route-only change took Programmed away")
	}
	publish("v3", 2) // the Gateway changed
	if ok, _ := programmed(); ok {
		t.Fatal("a new generation is Programmed before any ack")
	}
	publish("v3", 2, "v3") // an Envoy acked it before this sync looked (an unchanged version is not pushed again)
	if ok, _ := programmed(); !ok {
		t.Fatal("an ack already recorded by the server did not count")
	}
	a.holdUnacked(&convert.Input{}, &convert.Status{}, metav1.Now()) // the Gateway is deleted
	publish("v4", 1)                                                 // and made again under its name
	if ok, _ := programmed(); ok {
		t.Fatal("a Gateway made again under a deleted one's name is Programmed before any ack")
	}
}

// TestProgrammedHoldsListenerSets holds the ListenerSets of a Gateway not acked yet, and only those.
func TestProgrammedHoldsListenerSets(t *testing.T) {
	a := newAckTracker(nil, nil)
	gwRef := convert.ObjectRef{Kind: "Gateway", Namespace: "infra", Name: "web"}
	programmedTrue := func() []metav1.Condition {
		return []metav1.Condition{{Type: "Programmed", Status: metav1.ConditionTrue, Reason: "Programmed"}}
	}
	infra := gwapiv1.Namespace("infra")
	in := convert.Input{
		Gateways: []gwapiv1.Gateway{{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "web", Generation: 1}}},
		ListenerSets: []gwapiv1.ListenerSet{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "child", Generation: 4}, Spec: gwapiv1.ListenerSetSpec{ParentRef: gwapiv1.ParentGatewayReference{Name: "web", Namespace: &infra}}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "other"}, Spec: gwapiv1.ListenerSetSpec{ParentRef: gwapiv1.ParentGatewayReference{Name: "web"}}},
		},
	}
	child := convert.ObjectRef{Kind: "ListenerSet", Namespace: "team", Name: "child"}
	other := convert.ObjectRef{Kind: "ListenerSet", Namespace: "team", Name: "other"}
	status := func() convert.Status {
		return convert.Status{
			Gateways: map[convert.ObjectRef]gwapiv1.GatewayStatus{gwRef: {Conditions: programmedTrue()}},
			ListenerSets: map[convert.ObjectRef]gwapiv1.ListenerSetStatus{
				child: {Conditions: programmedTrue(), Listeners: []gwapiv1.ListenerEntryStatus{{Name: "l", Conditions: programmedTrue()}}},
				other: {Conditions: programmedTrue()},
			},
		}
	}
	st := status()
	a.holdUnacked(&in, &st, metav1.Now())
	c := apimeta.FindStatusCondition(st.ListenerSets[child].Conditions, "Programmed")
	l := apimeta.FindStatusCondition(st.ListenerSets[child].Listeners[0].Conditions, "Programmed")
	if c.Status != metav1.ConditionFalse || c.Reason != "Pending" || c.ObservedGeneration != 4 || l.Status != metav1.ConditionFalse || l.Reason != "Pending" {
		t.Errorf("ListenerSet of an unacked Gateway: %+v, listener %+v; want Programmed=False Pending", c, l)
	}
	if !apimeta.IsStatusConditionTrue(st.ListenerSets[other].Conditions, "Programmed") {
		t.Error("a ListenerSet of a Gateway team/web (not held) was held")
	}
	a.programmed[gwRef] = 1
	st = status()
	a.holdUnacked(&in, &st, metav1.Now())
	if !apimeta.IsStatusConditionTrue(st.ListenerSets[child].Conditions, "Programmed") {
		t.Error("the ListenerSet of an acked Gateway is held")
	}
}
