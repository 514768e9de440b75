package convert

import (
	"fmt"

	istionet "istio.io/api/networking/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/model"
)

// refProblem is why a reference does not resolve: a Gateway API reason and a message.
type refProblem struct {
	reason  gwapiv1.RouteConditionReason
	message string
}

// resolveBackend resolves a route's backendRef to a destination. Only core Services are supported.
func (t *translator) resolveBackend(routeKind, routeNS string, ref gwapiv1.BackendObjectReference) (*istionet.Destination, *refProblem) {
	return t.resolveService(gwapiv1.GroupName, routeKind, routeNS, ref)
}

// resolveService resolves a reference to a port of a Service made by an object of group fromGroup and
// kind fromKind in namespace fromNS: another namespace needs a ReferenceGrant there.
func (t *translator) resolveService(fromGroup, fromKind, fromNS string, ref gwapiv1.BackendObjectReference) (*istionet.Destination, *refProblem) {
	group, kind := "", "Service"
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	ns := fromNS
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	name := string(ref.Name)
	if group != "" || kind != "Service" {
		return nil, &refProblem{gwapiv1.RouteReasonInvalidKind, fmt.Sprintf("backendRef %s/%s: kind %q of group %q is not supported", ns, name, kind, group)}
	}
	if !t.ix.refAllowed(fromGroup, fromKind, fromNS, "", "Service", ns, name) {
		return nil, &refProblem{gwapiv1.RouteReasonRefNotPermitted, fmt.Sprintf("backendRef to Service %s/%s is not permitted by any ReferenceGrant in namespace %s", ns, name, ns)}
	}
	svc, ok := t.ix.services[nsName{ns, name}]
	if !ok {
		return nil, &refProblem{gwapiv1.RouteReasonBackendNotFound, fmt.Sprintf("Service %s/%s not found", ns, name)}
	}
	if ref.Port == nil {
		return nil, &refProblem{gwapiv1.RouteReasonUnsupportedValue, fmt.Sprintf("backendRef to Service %s/%s has no port", ns, name)}
	}
	found := false
	for _, p := range svc.Spec.Ports {
		found = found || p.Port == int32(*ref.Port)
	}
	if !found {
		return nil, &refProblem{gwapiv1.RouteReasonBackendNotFound, fmt.Sprintf("Service %s/%s has no port %d", ns, name, *ref.Port)}
	}
	t.useService(ns, name)
	return &istionet.Destination{
		Host: serviceHost(ns, name, t.opts.DomainSuffix),
		Port: &istionet.PortSelector{Number: uint32(*ref.Port)},
	}, nil
}

// unresolvedDestination stands for a backend that does not resolve: its share of requests gets 500.
func unresolvedDestination() *istionet.Destination {
	return &istionet.Destination{Host: model.UnresolvedBackendHost}
}

func weightOf(w *int32) int32 {
	if w == nil {
		return 1
	}
	return *w
}
