package convert

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeCommon is what attachment needs of any route kind.
type routeCommon struct {
	ref       ObjectRef
	meta      *metav1.ObjectMeta
	parents   []gwapiv1.ParentReference
	hostnames []string
}

// attachment is a route bound to one ready listener, with the hostnames it serves there.
type attachment struct {
	gw        *gatewayInfo
	listener  *listenerInfo
	hostnames []string
}

// parentResult is the outcome of one parentRef of ours.
type parentResult struct {
	ref gwapiv1.ParentReference
	// allowed are the listeners the parentRef selects, whose allowedRoutes take the route and which
	// share a hostname with it: the route counts in their attachedRoutes once it is accepted, whatever
	// their own status.
	allowed []*listenerInfo
	// attachments are where the route is served: allowed, ready listeners with a common hostname.
	attachments []attachment
	problem     *refProblem // Accepted=False reason, when the route cannot attach at all
}

func newRouteCommon(kind string, meta *metav1.ObjectMeta, parents []gwapiv1.ParentReference, hostnames []gwapiv1.Hostname) *routeCommon {
	rc := &routeCommon{ref: ObjectRef{Kind: kind, Namespace: meta.Namespace, Name: meta.Name}, meta: meta, parents: parents}
	for _, h := range hostnames {
		rc.hostnames = append(rc.hostnames, string(h))
	}
	return rc
}

// attachRoute binds a route to the listeners its parentRefs select: those of a Gateway (its own, not
// its ListenerSets') or those of a ListenerSet. ParentRefs to Gateways that gatebridge does not serve,
// and to ListenerSets of such Gateways, are skipped: their status belongs to another controller.
func (t *translator) attachRoute(rc routeCommon, gateways map[nsName]*gatewayInfo) []parentResult {
	var out []parentResult
	for _, pr := range rc.parents {
		group, kind := gwapiv1.GroupName, "Gateway"
		if pr.Group != nil {
			group = string(*pr.Group)
		}
		if pr.Kind != nil {
			kind = string(*pr.Kind)
		}
		ns := rc.ref.Namespace
		if pr.Namespace != nil && *pr.Namespace != "" {
			ns = string(*pr.Namespace)
		}
		if group != gwapiv1.GroupName {
			continue
		}
		g, k := gwapiv1.Group(group), gwapiv1.Kind(kind)
		key := nsName{ns, string(pr.Name)}
		switch kind {
		case "Gateway":
			gw, ok := gateways[key]
			if !ok {
				continue
			}
			pr.Group, pr.Kind = &g, &k
			own := slices.DeleteFunc(slices.Clone(gw.listeners), func(l *listenerInfo) bool { return l.set != nil })
			out = append(out, t.attachToListeners(rc, gw, own, pr))
		case "ListenerSet":
			set, ok := t.listenerSets[key]
			if !ok {
				continue
			}
			pr.Group, pr.Kind = &g, &k
			if !set.accepted() {
				out = append(out, parentResult{ref: pr, problem: &refProblem{gwapiv1.RouteReasonNoMatchingParent,
					fmt.Sprintf("ListenerSet %s/%s is not attached to its Gateway", set.ls.Namespace, set.ls.Name)}})
				continue
			}
			out = append(out, t.attachToListeners(rc, set.gw, set.listeners, pr))
		}
	}
	return out
}

// attachToListeners binds a route to the listeners of one parent (a Gateway or a ListenerSet of gw)
// that its parentRef selects.
func (t *translator) attachToListeners(rc routeCommon, gw *gatewayInfo, listeners []*listenerInfo, pr gwapiv1.ParentReference) parentResult {
	res := parentResult{ref: pr}
	selected, allowing := 0, 0
	for _, l := range listeners {
		if pr.SectionName != nil && *pr.SectionName != l.spec.Name {
			continue
		}
		if pr.Port != nil && *pr.Port != l.spec.Port {
			continue
		}
		selected++
		if !t.listenerAllows(l, rc) {
			continue
		}
		allowing++
		hosts := routeHostnames(l.hostname(), rc.hostnames)
		if len(hosts) == 0 {
			continue // no hostname in common: not attached to this listener
		}
		res.allowed = append(res.allowed, l)
		if !l.ready {
			continue
		}
		if hosts = isolateHostnames(gw, l, hosts); len(hosts) > 0 {
			res.attachments = append(res.attachments, attachment{gw: gw, listener: l, hostnames: hosts})
		}
	}
	switch {
	case selected == 0:
		res.problem = &refProblem{gwapiv1.RouteReasonNoMatchingParent, fmt.Sprintf("no listener of the %s matches the parentRef's sectionName and port", *pr.Kind)}
	case allowing == 0:
		res.problem = &refProblem{gwapiv1.RouteReasonNotAllowedByListeners, "no listener selected by the parentRef allows this route's kind and namespace"}
	case len(res.allowed) == 0:
		res.problem = &refProblem{gwapiv1.RouteReasonNoMatchingListenerHostname, "no hostname of the route matches a listener's hostname"}
	}
	if res.problem != nil {
		res.allowed, res.attachments = nil, nil
	}
	return res
}

// listenerAllows applies a listener's allowedRoutes to a route; Same is the namespace of the Gateway or
// ListenerSet that declares the listener.
func (t *translator) listenerAllows(l *listenerInfo, rc routeCommon) bool {
	if !slices.ContainsFunc(l.kinds, func(k gwapiv1.RouteGroupKind) bool { return string(k.Kind) == rc.ref.Kind }) {
		return false
	}
	from := gwapiv1.NamespacesFromSame
	var selector *metav1.LabelSelector
	if l.spec.AllowedRoutes != nil && l.spec.AllowedRoutes.Namespaces != nil {
		if l.spec.AllowedRoutes.Namespaces.From != nil {
			from = *l.spec.AllowedRoutes.Namespaces.From
		}
		selector = l.spec.AllowedRoutes.Namespaces.Selector
	}
	return t.namespaceAllowed(from, selector, l.owner.ref.Namespace, rc.ref.Namespace)
}

// isolateHostnames drops the hostnames that a more specific listener on the same port owns: a request
// is served only by the routes of the most specific listener that matches its host.
func isolateHostnames(gw *gatewayInfo, l *listenerInfo, hosts []string) []string {
	var out []string
	for _, h := range hosts {
		owned := false
		for _, other := range gw.listeners {
			if other == l || !other.ready || other.spec.Port != l.spec.Port {
				continue
			}
			if hostSpecificity(other.hostname()) > hostSpecificity(l.hostname()) && listenerMatchesHost(other.hostname(), h) {
				owned = true
				break
			}
		}
		if !owned {
			out = append(out, h)
		}
	}
	return out
}

// routeParentStatus writes the parent statuses of a route. refs is the first backend problem of the
// route (ResolvedRefs), invalid the problem that made some rules unusable (PartiallyInvalid or, when no
// rule is usable, Accepted=False).
func (t *translator) routeParentStatus(rc routeCommon, parents []parentResult, refs, invalid *refProblem, usableRules int) {
	if len(parents) == 0 {
		return
	}
	var st gwapiv1.RouteStatus
	gen := rc.meta.Generation
	for _, p := range parents {
		ps := gwapiv1.RouteParentStatus{ParentRef: p.ref, ControllerName: gwapiv1.GatewayController(t.opts.GatewayController)}
		accepted := false
		switch {
		case p.problem != nil:
			t.setCondition(&ps.Conditions, gen, string(gwapiv1.RouteConditionAccepted), false, string(p.problem.reason), p.problem.message)
		case invalid != nil && usableRules == 0:
			t.setCondition(&ps.Conditions, gen, string(gwapiv1.RouteConditionAccepted), false, string(invalid.reason), invalid.message)
		default:
			accepted = true
			t.setCondition(&ps.Conditions, gen, string(gwapiv1.RouteConditionAccepted), true, string(gwapiv1.RouteReasonAccepted), "")
		}
		if accepted && invalid != nil {
			t.setCondition(&ps.Conditions, gen, string(gwapiv1.RouteConditionPartiallyInvalid), true, string(invalid.reason), "Dropped Rule: "+invalid.message)
		}
		if accepted {
			for _, l := range p.allowed {
				l.attached[rc.ref] = true
			}
		}
		if refs != nil {
			t.setCondition(&ps.Conditions, gen, string(gwapiv1.RouteConditionResolvedRefs), false, string(refs.reason), refs.message)
		} else {
			t.setCondition(&ps.Conditions, gen, string(gwapiv1.RouteConditionResolvedRefs), true, string(gwapiv1.RouteReasonResolvedRefs), "")
		}
		st.Parents = append(st.Parents, ps)
	}
	t.result.Status.Routes[rc.ref] = st
	if refs != nil {
		t.note(rc.ref, NoteWarning, string(refs.reason), "%s", refs.message)
	}
	if invalid != nil {
		t.note(rc.ref, NoteWarning, string(invalid.reason), "%s", invalid.message)
	}
}

// firstProblem records a problem: the reason of the first one seen, the messages of all of them.
func firstProblem(p **refProblem, reason gwapiv1.RouteConditionReason, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if *p == nil {
		*p = &refProblem{reason, msg}
		return
	}
	if !strings.Contains((*p).message, msg) {
		(*p).message += "; " + msg
	}
}
