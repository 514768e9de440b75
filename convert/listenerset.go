package convert

import (
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// listenerSetInfo is one ListenerSet whose parent is a Gateway gatebridge handles.
type listenerSetInfo struct {
	ls *gwapiv1.ListenerSet
	// gw is the parent Gateway when it is served; nil when its GatewayClass is not accepted.
	gw        *gatewayInfo
	listeners []*listenerInfo
	// problem is why the ListenerSet is not attached to its Gateway (the reason of Accepted=False);
	// nil once it is.
	problem *listenerSetProblem
}

// listenerSetReasonParentNotProgrammed is the reason of Programmed=False for an attached ListenerSet
// whose Gateway is not programmed; the API documents it but names no constant.
const listenerSetReasonParentNotProgrammed = "ParentNotProgrammed"

type listenerSetProblem struct {
	reason  gwapiv1.ListenerSetConditionReason
	message string
}

func listenerSetRef(ls *gwapiv1.ListenerSet) ObjectRef {
	return ObjectRef{Kind: "ListenerSet", Namespace: ls.Namespace, Name: ls.Name}
}

// accepted says whether the ListenerSet is attached to its Gateway: allowed there, with a parent that
// is accepted and at least one listener that can be served.
func (s *listenerSetInfo) accepted() bool { return s.problem == nil }

// listenerSetParent returns the namespace and name of the Gateway a ListenerSet names, or false when
// its parentRef is not a Gateway.
func listenerSetParent(ls *gwapiv1.ListenerSet) (nsName, bool) {
	ref := ls.Spec.ParentRef
	if (ref.Group != nil && *ref.Group != gwapiv1.GroupName) || (ref.Kind != nil && *ref.Kind != "Gateway") {
		return nsName{}, false
	}
	ns := ls.Namespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	return nsName{ns, string(ref.Name)}, true
}

// translateListenerSets attaches ListenerSets to the Gateways they name, in order of precedence
// (oldest first, then by namespace and name), and validates their listeners against the Gateway's and
// those of the ListenerSets before them. ListenerSets whose parent is not one of gatebridge's Gateways
// are left alone: their status belongs to another controller. It returns every ListenerSet handled.
func (t *translator) translateListenerSets(classes map[string]bool, gateways map[nsName]*gatewayInfo) map[nsName]*listenerSetInfo {
	ours := map[nsName]bool{}
	for i := range t.in.Gateways {
		gw := &t.in.Gateways[i]
		if _, ok := classes[string(gw.Spec.GatewayClassName)]; ok {
			ours[nsName{gw.Namespace, gw.Name}] = true
		}
	}
	var sets []*listenerSetInfo
	for i := range t.in.ListenerSets {
		ls := &t.in.ListenerSets[i]
		if parent, ok := listenerSetParent(ls); ok && ours[parent] {
			sets = append(sets, &listenerSetInfo{ls: ls, gw: gateways[parent]})
		}
	}
	slices.SortFunc(sets, func(a, b *listenerSetInfo) int { return olderFirst(&a.ls.ObjectMeta, &b.ls.ObjectMeta) })
	out := make(map[nsName]*listenerSetInfo, len(sets))
	for _, s := range sets {
		out[nsName{s.ls.Namespace, s.ls.Name}] = s
		if s.gw != nil {
			s.gw.sets = append(s.gw.sets, s)
		}
		t.attachListenerSet(s)
	}
	return out
}

// finishListenerSets writes the status of every ListenerSet handled, in a stable order.
func (t *translator) finishListenerSets(sets map[nsName]*listenerSetInfo) {
	for _, key := range sortedKeys(sets, compareNsName) {
		s := sets[key]
		addrErr := ""
		if s.gw != nil {
			addrErr = t.gatewayAddressError(s.gw.gw)
		}
		t.finishListenerSet(s, addrErr)
	}
}

// attachListenerSet decides whether a ListenerSet joins its Gateway and, if it may, validates its
// listeners; those of an accepted ListenerSet join the Gateway's.
func (t *translator) attachListenerSet(s *listenerSetInfo) {
	if s.gw == nil {
		s.problem = &listenerSetProblem{gwapiv1.ListenerSetReasonParentNotAccepted, "the parent Gateway's GatewayClass is not accepted"}
		return
	}
	from, selector := s.gw.allowedListenersFrom()
	switch {
	case !t.namespaceAllowed(from, selector, s.gw.gw.Namespace, s.ls.Namespace):
		s.problem = &listenerSetProblem{gwapiv1.ListenerSetReasonNotAllowed,
			fmt.Sprintf("the allowedListeners of Gateway %s/%s do not take ListenerSets of namespace %s", s.gw.gw.Namespace, s.gw.gw.Name, s.ls.Namespace)}
		return
	case !s.gw.accepted():
		s.problem = &listenerSetProblem{gwapiv1.ListenerSetReasonParentNotAccepted, "the parent Gateway is not accepted"}
		return
	}
	owner := listenerOwner{ref: listenerSetRef(s.ls), generation: s.ls.Generation, gw: s.gw.gw}
	for _, e := range s.ls.Spec.Listeners {
		li := t.validateListener(owner, gwapiv1.Listener(e)) // the same fields
		li.set = s
		s.listeners = append(s.listeners, li)
	}
	// Those that lose to a listener of higher precedence are out first; the others must then be told
	// apart among themselves, as a Gateway's own listeners.
	markConflictsWith(s.listeners, s.gw.listeners)
	markConflicts(slices.DeleteFunc(slices.Clone(s.listeners), (*listenerInfo).conflicted))
	ready := 0
	for _, l := range s.listeners {
		t.finishListener(l)
		if l.ready {
			ready++
		}
	}
	if ready == 0 {
		s.problem = &listenerSetProblem{gwapiv1.ListenerSetReasonListenersNotValid, "no listener is valid"}
		return
	}
	s.gw.listeners = append(s.gw.listeners, s.listeners...)
}

// allowedListenersFrom returns from where a Gateway takes ListenerSets (None by default) and the
// selector of Selector.
func (g *gatewayInfo) allowedListenersFrom() (gwapiv1.FromNamespaces, *metav1.LabelSelector) {
	al := g.gw.Spec.AllowedListeners
	if al == nil || al.Namespaces == nil || al.Namespaces.From == nil {
		return gwapiv1.NamespacesFromNone, nil
	}
	return *al.Namespaces.From, al.Namespaces.Selector
}

// accepted says whether the Gateway is accepted, as finishGateway will write: its addresses are of a
// supported type and at least one of its own listeners is ready.
func (g *gatewayInfo) accepted() bool {
	if unsupportedAddressType(g.gw) != "" {
		return false
	}
	return slices.ContainsFunc(g.listeners, func(l *listenerInfo) bool { return l.set == nil && l.ready })
}

// namespaceAllowed applies a from/selector pair (of allowedRoutes or allowedListeners) of an object in
// namespace owner to an object in namespace ns.
func (t *translator) namespaceAllowed(from gwapiv1.FromNamespaces, selector *metav1.LabelSelector, owner, ns string) bool {
	switch from {
	case gwapiv1.NamespacesFromAll:
		return true
	case gwapiv1.NamespacesFromSame:
		return ns == owner
	case gwapiv1.NamespacesFromSelector:
		if selector == nil {
			return false
		}
		sel, err := metav1.LabelSelectorAsSelector(selector)
		if err != nil {
			return false
		}
		return sel.Matches(labels.Set(t.ix.namespaceLabels(ns)))
	}
	return false
}

// finishListenerSet writes the status of a ListenerSet once routes have attached. addrErr is why its
// Gateway has no usable address, if it has none.
func (t *translator) finishListenerSet(s *listenerSetInfo, addrErr string) {
	var st gwapiv1.ListenerSetStatus
	gen := s.ls.Generation
	accepted, programmed := string(gwapiv1.ListenerSetConditionAccepted), string(gwapiv1.ListenerSetConditionProgrammed)
	for _, l := range s.listeners {
		st.Listeners = append(st.Listeners, gwapiv1.ListenerEntryStatus{
			Name: l.status.Name, SupportedKinds: l.status.SupportedKinds, AttachedRoutes: int32(len(l.attached)), Conditions: l.status.Conditions,
		})
	}
	switch {
	case s.problem != nil:
		t.setCondition(&st.Conditions, gen, accepted, false, string(s.problem.reason), s.problem.message)
		t.setCondition(&st.Conditions, gen, programmed, false, string(s.problem.reason), s.problem.message)
	default:
		ready := 0
		for _, l := range s.listeners {
			if l.ready {
				ready++
			}
		}
		if ready == len(s.listeners) {
			t.setCondition(&st.Conditions, gen, accepted, true, string(gwapiv1.ListenerSetReasonAccepted), "")
		} else {
			t.setCondition(&st.Conditions, gen, accepted, true, string(gwapiv1.ListenerSetReasonListenersNotValid),
				fmt.Sprintf("%d of %d listeners are not valid", len(s.listeners)-ready, len(s.listeners)))
		}
		if addrErr != "" {
			t.setCondition(&st.Conditions, gen, programmed, false, listenerSetReasonParentNotProgrammed, addrErr)
		} else {
			t.setCondition(&st.Conditions, gen, programmed, true, string(gwapiv1.ListenerSetReasonProgrammed), "")
		}
	}
	t.result.Status.ListenerSets[listenerSetRef(s.ls)] = st
}

// attachedListenerSets counts the ListenerSets attached to a Gateway, for its status: nil when the
// Gateway takes none and none is attached.
func attachedListenerSets(info *gatewayInfo) *int32 {
	n := int32(0)
	for _, s := range info.sets {
		if s.accepted() {
			n++
		}
	}
	if n == 0 && info.gw.Spec.AllowedListeners == nil {
		return nil
	}
	return &n
}
