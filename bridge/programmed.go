package bridge

import (
	"fmt"
	"slices"
	"sync"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/envoyxds"
)

// ackTracker remembers which Gateway generations each served version carries and which of those an
// Envoy accepted: a Gateway is Programmed only once an Envoy of its fleet acked a version that carries
// its current generation. It also measures the time from an API change to the first ack of the
// version that serves it.
type ackTracker struct {
	mu sync.Mutex
	// carried lists, by fleet, the latest versions served and the Gateway generations in each.
	carried map[string][]carriedVersion
	// programmed is, by Gateway, the newest generation an Envoy has acked.
	programmed map[convert.ObjectRef]int64
	// pending is, by fleet, the version of the latest change not yet acked and when that change was seen.
	pending map[string]pendingChange
	// lastAck is, by fleet, how long the latest acked change took.
	lastAck map[string]time.Duration
	// waiting counts the Gateways the last rebuild held at Pending.
	waiting int

	// acked is called (without the lock) when an ack programmed something new.
	acked   func()
	latency func(time.Duration)
}

type carriedVersion struct {
	version  string
	gateways map[convert.ObjectRef]int64
}

type pendingChange struct {
	version string
	since   time.Time
}

// maxCarried bounds the versions remembered per fleet: an Envoy acks one of the latest few.
const maxCarried = 16

func newAckTracker(acked func(), latency func(time.Duration)) *ackTracker {
	return &ackTracker{
		carried: map[string][]carriedVersion{}, programmed: map[convert.ObjectRef]int64{},
		pending: map[string]pendingChange{}, lastAck: map[string]time.Duration{},
		acked: acked, latency: latency,
	}
}

// published records what a sync served: versions by fleet, the Gateways (with generation) of each
// fleet, and when the first change behind it was seen. Versions some connected Envoy already acked
// (an unchanged configuration is not pushed again, so no new ack comes) count as acked at once.
func (a *ackTracker) published(versions map[string]string, gateways map[string]map[convert.ObjectRef]int64,
	since time.Time, fleets []envoyxds.FleetStatus,
) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for fleet, version := range versions {
		if version == "" {
			continue
		}
		list := a.carried[fleet]
		i := slices.IndexFunc(list, func(c carriedVersion) bool { return c.version == version })
		if i >= 0 {
			list[i].gateways = gateways[fleet]
		} else {
			list = append(list, carriedVersion{version: version, gateways: gateways[fleet]})
			if len(list) > maxCarried {
				list = list[len(list)-maxCarried:]
			}
			if !since.IsZero() {
				a.pending[fleet] = pendingChange{version: version, since: since}
			}
		}
		a.carried[fleet] = list
	}
	for _, f := range fleets {
		for _, n := range f.Nodes {
			if n.Acked != "" {
				a.ackLocked(f.Fleet, n.Acked)
			}
		}
	}
}

// onAck is the xDS server's Acked observer: it runs under the server's lock, so it only records and
// signals.
func (a *ackTracker) onAck(fleet, _, version string) {
	a.mu.Lock()
	changed := a.ackLocked(fleet, version)
	a.mu.Unlock()
	if changed && a.acked != nil {
		a.acked()
	}
}

// ackLocked marks the Gateways a version carries as programmed; it reports whether one changed.
func (a *ackTracker) ackLocked(fleet, version string) bool {
	if p, ok := a.pending[fleet]; ok && p.version == version {
		d := time.Since(p.since)
		a.lastAck[fleet] = d
		delete(a.pending, fleet)
		if a.latency != nil {
			a.latency(d)
		}
	}
	changed := false
	for _, c := range a.carried[fleet] {
		if c.version != version {
			continue
		}
		for ref, gen := range c.gateways {
			if a.programmed[ref] < gen {
				a.programmed[ref] = gen
				changed = true
			}
		}
	}
	return changed
}

// forget drops fleets that are no longer served.
func (a *ackTracker) forget(live map[string]string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for fleet := range a.carried {
		if _, ok := live[fleet]; !ok {
			delete(a.carried, fleet)
			delete(a.pending, fleet)
		}
	}
}

// holdUnacked turns Programmed=True of every Gateway (and of its listeners and ListenerSets) into
// Programmed=False, reason Pending, until an Envoy of its fleet has acked its current generation.
func (a *ackTracker) holdUnacked(in *convert.Input, st *convert.Status, now metav1.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.waiting = 0
	live := make(map[convert.ObjectRef]bool, len(in.Gateways))
	for i := range in.Gateways {
		live[convert.ObjectRef{Kind: "Gateway", Namespace: in.Gateways[i].Namespace, Name: in.Gateways[i].Name}] = true
	}
	for ref := range a.programmed {
		if !live[ref] { // deleted: a Gateway made again under its name starts at generation 1
			delete(a.programmed, ref)
		}
	}
	held := map[convert.ObjectRef]bool{}
	for i := range in.Gateways {
		g := &in.Gateways[i]
		ref := convert.ObjectRef{Kind: "Gateway", Namespace: g.Namespace, Name: g.Name}
		gs, ok := st.Gateways[ref]
		if !ok || !apimeta.IsStatusConditionTrue(gs.Conditions, string(gwapiv1.GatewayConditionProgrammed)) || a.programmed[ref] >= g.Generation {
			continue
		}
		a.waiting++
		msg := fmt.Sprintf("waiting for an Envoy of fleet %s to accept the configuration", convert.GatewayFleet(g.Namespace, g.Name))
		apimeta.SetStatusCondition(&gs.Conditions, metav1.Condition{
			Type: string(gwapiv1.GatewayConditionProgrammed), Status: metav1.ConditionFalse, Reason: string(gwapiv1.GatewayReasonPending),
			Message: msg, ObservedGeneration: g.Generation, LastTransitionTime: now,
		})
		for j := range gs.Listeners {
			conds := &gs.Listeners[j].Conditions
			if apimeta.IsStatusConditionTrue(*conds, string(gwapiv1.ListenerConditionProgrammed)) {
				apimeta.SetStatusCondition(conds, metav1.Condition{
					Type: string(gwapiv1.ListenerConditionProgrammed), Status: metav1.ConditionFalse, Reason: string(gwapiv1.ListenerReasonPending),
					Message: msg, ObservedGeneration: g.Generation, LastTransitionTime: now,
				})
			}
		}
		st.Gateways[ref] = gs
		held[ref] = true
	}
	holdListenerSets(in, st, held, now)
}

// holdListenerSets holds Programmed=False, reason Pending, on the ListenerSets (and their listeners)
// of the Gateways held: their listeners are served by the same fleet, with the same configuration.
func holdListenerSets(in *convert.Input, st *convert.Status, held map[convert.ObjectRef]bool, now metav1.Time) {
	for i := range in.ListenerSets {
		ls := &in.ListenerSets[i]
		parent := ls.Spec.ParentRef
		ns := ls.Namespace
		if parent.Namespace != nil && *parent.Namespace != "" {
			ns = string(*parent.Namespace)
		}
		if !held[convert.ObjectRef{Kind: "Gateway", Namespace: ns, Name: string(parent.Name)}] {
			continue
		}
		ref := convert.ObjectRef{Kind: "ListenerSet", Namespace: ls.Namespace, Name: ls.Name}
		ss, ok := st.ListenerSets[ref]
		if !ok || !apimeta.IsStatusConditionTrue(ss.Conditions, string(gwapiv1.ListenerSetConditionProgrammed)) {
			continue
		}
		msg := fmt.Sprintf("waiting for an Envoy of fleet %s to accept the configuration", convert.GatewayFleet(ns, string(parent.Name)))
		pending := func(conds *[]metav1.Condition, typ, reason string) {
			if apimeta.IsStatusConditionTrue(*conds, typ) {
				apimeta.SetStatusCondition(conds, metav1.Condition{Type: typ, Status: metav1.ConditionFalse, Reason: reason,
					Message: msg, ObservedGeneration: ls.Generation, LastTransitionTime: now})
			}
		}
		pending(&ss.Conditions, string(gwapiv1.ListenerSetConditionProgrammed), string(gwapiv1.ListenerSetReasonPending))
		for j := range ss.Listeners {
			pending(&ss.Listeners[j].Conditions, string(gwapiv1.ListenerEntryConditionProgrammed), string(gwapiv1.ListenerEntryReasonPending))
		}
		st.ListenerSets[ref] = ss
	}
}

// awaiting reports whether the last rebuild held a Gateway at Pending.
func (a *ackTracker) awaiting() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.waiting > 0
}

// ChangeToAck returns, by fleet, how long the latest acked change took from the API to an Envoy.
func (a *ackTracker) changeToAck() map[string]time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]time.Duration, len(a.lastAck))
	for k, v := range a.lastAck {
		out[k] = v
	}
	return out
}
