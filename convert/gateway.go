package convert

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"strings"

	istionet "istio.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/model"
)

// gatewayInfo is one Gateway gatebridge serves, with the state translation builds for it.
type gatewayInfo struct {
	gw    *gwapiv1.Gateway
	fleet string
	// listeners are the Gateway's own listeners, then those of its accepted ListenerSets in order of
	// precedence: all of them are served by the fleet.
	listeners []*listenerInfo
	// sets are the ListenerSets that name the Gateway as their parent, in order of precedence.
	sets []*listenerSetInfo
	// backendCert is why the client certificate for backends (spec.tls.backend) cannot be used, or nil.
	backendCert *refProblem
}

// listenerOwner is the object that declares a listener: a Gateway or a ListenerSet.
type listenerOwner struct {
	ref        ObjectRef
	generation int64
	// gw is the Gateway whose spec.tls.frontend applies: the owner itself, or the ListenerSet's parent.
	gw *gwapiv1.Gateway
}

// listenerInfo is one listener of a served Gateway or of one of its ListenerSets.
type listenerInfo struct {
	spec  gwapiv1.Listener
	owner listenerOwner
	// set is the ListenerSet that declares the listener; nil for the Gateway's own listeners.
	set *listenerSetInfo
	// ready: accepted, not conflicted and programmed; only ready listeners take routes.
	ready       bool
	kinds       []gwapiv1.RouteGroupKind
	credentials []string
	// clientValidation says how an HTTPS listener verifies client certificates (spec.tls.frontend).
	clientValidation *clientValidation
	status           gwapiv1.ListenerStatus
	// attached holds the accepted routes allowed on the listener: its attachedRoutes.
	attached map[ObjectRef]bool
}

func (l *listenerInfo) hostname() string {
	if l.spec.Hostname == nil {
		return ""
	}
	return string(*l.spec.Hostname)
}

func gatewayRef(gw *gwapiv1.Gateway) ObjectRef {
	return ObjectRef{Kind: "Gateway", Namespace: gw.Namespace, Name: gw.Name}
}

func gatewayFleetName(gw *gwapiv1.Gateway) string {
	return GatewayFleet(gw.Namespace, gw.Name)
}

// GatewayFleet names the Envoy fleet that serves a Gateway.
func GatewayFleet(namespace, name string) string {
	return "gateway-" + namespace + "-" + name
}

// translateGatewayClasses accepts the GatewayClasses of gatebridge's controller and returns, by name,
// whether each is usable.
func (t *translator) translateGatewayClasses() map[string]bool {
	accepted := map[string]bool{}
	for i := range t.in.GatewayClasses {
		gc := &t.in.GatewayClasses[i]
		if string(gc.Spec.ControllerName) != t.opts.GatewayController {
			continue
		}
		var st gwapiv1.GatewayClassStatus
		ok := gc.Spec.ParametersRef == nil
		if ok {
			t.setCondition(&st.Conditions, gc.Generation, string(gwapiv1.GatewayClassConditionStatusAccepted), true,
				string(gwapiv1.GatewayClassReasonAccepted), "Handled by gatebridge")
		} else {
			t.setCondition(&st.Conditions, gc.Generation, string(gwapiv1.GatewayClassConditionStatusAccepted), false,
				string(gwapiv1.GatewayClassReasonInvalidParameters), "gatebridge takes no parametersRef")
		}
		accepted[gc.Name] = ok
		t.result.Status.GatewayClasses[ObjectRef{Kind: "GatewayClass", Name: gc.Name}] = st
	}
	return accepted
}

// translateGateways validates the served Gateways and their listeners; it returns those that take routes.
func (t *translator) translateGateways(classes map[string]bool) []*gatewayInfo {
	var out []*gatewayInfo
	for i := range t.in.Gateways {
		gw := &t.in.Gateways[i]
		classOK, ours := classes[string(gw.Spec.GatewayClassName)]
		if !ours {
			continue
		}
		info := &gatewayInfo{gw: gw, fleet: gatewayFleetName(gw)}
		if !classOK {
			var st gwapiv1.GatewayStatus
			t.setCondition(&st.Conditions, gw.Generation, string(gwapiv1.GatewayConditionAccepted), false,
				string(gwapiv1.GatewayReasonInvalid), fmt.Sprintf("GatewayClass %s is not accepted", gw.Spec.GatewayClassName))
			t.setCondition(&st.Conditions, gw.Generation, string(gwapiv1.GatewayConditionProgrammed), false,
				string(gwapiv1.GatewayReasonInvalid), "the Gateway is not accepted")
			t.result.Status.Gateways[gatewayRef(gw)] = st
			continue
		}
		owner := listenerOwner{ref: gatewayRef(gw), generation: gw.Generation, gw: gw}
		for _, l := range gw.Spec.Listeners {
			info.listeners = append(info.listeners, t.validateListener(owner, l))
		}
		info.backendCert = t.resolveBackendClientCert(gw, info.fleet)
		markConflicts(info.listeners)
		for _, l := range info.listeners {
			t.finishListener(l)
		}
		if _, assigned := t.opts.GatewayAddresses[gw.Namespace+"/"+gw.Name]; len(gw.Spec.Addresses) > 0 && !assigned && t.opts.GatewayAddressErrors[gw.Namespace+"/"+gw.Name] == "" && unsupportedAddressType(gw) == "" {
			t.note(gatewayRef(gw), NoteWarning, "UnsupportedAddress", "spec.addresses is not supported; addresses come from the controller's address pool")
		}
		out = append(out, info)
	}
	return out
}

// supportedKinds are the route kinds each listener protocol takes.
var supportedKinds = map[gwapiv1.ProtocolType][]string{
	gwapiv1.HTTPProtocolType:  {"HTTPRoute", "GRPCRoute"},
	gwapiv1.HTTPSProtocolType: {"HTTPRoute", "GRPCRoute"},
	gwapiv1.TLSProtocolType:   {"TLSRoute"},
}

func (t *translator) validateListener(owner listenerOwner, l gwapiv1.Listener) *listenerInfo {
	li := &listenerInfo{spec: l, owner: owner, ready: true, attached: map[ObjectRef]bool{}}
	li.status.Name = l.Name
	li.status.SupportedKinds = []gwapiv1.RouteGroupKind{}
	gen := owner.generation
	conds := &li.status.Conditions
	if l.Port < 1 || l.Port > 65535 {
		li.ready = false
		t.setCondition(conds, gen, string(gwapiv1.ListenerConditionAccepted), false, string(gwapiv1.ListenerReasonUnsupportedValue),
			fmt.Sprintf("port %d is not a valid port", l.Port))
		return li
	}
	if l.Hostname != nil && !validListenerHostname(string(*l.Hostname)) {
		li.ready = false
		t.setCondition(conds, gen, string(gwapiv1.ListenerConditionAccepted), false, string(gwapiv1.ListenerReasonUnsupportedValue),
			fmt.Sprintf("hostname %q is not a DNS name or a wildcard", *l.Hostname))
		return li
	}
	kinds, ok := supportedKinds[l.Protocol]
	if !ok {
		li.ready = false
		t.setCondition(conds, gen, string(gwapiv1.ListenerConditionAccepted), false, string(gwapiv1.ListenerReasonUnsupportedProtocol),
			fmt.Sprintf("protocol %s is not supported", l.Protocol))
		return li
	}
	t.setCondition(conds, gen, string(gwapiv1.ListenerConditionAccepted), true, string(gwapiv1.ListenerReasonAccepted), "")
	var refProblems []string
	refReason := string(gwapiv1.ListenerReasonResolvedRefs)
	li.kinds, refProblems = listenerKinds(l, kinds)
	if len(refProblems) > 0 {
		refReason = string(gwapiv1.ListenerReasonInvalidRouteKinds)
	}
	if l.Protocol != gwapiv1.HTTPProtocolType {
		reason, problems := t.listenerTLS(li)
		if reason != "" {
			refReason = reason
			refProblems = append(refProblems, problems...)
		}
	}
	if l.Protocol == gwapiv1.HTTPSProtocolType {
		reason, problems, ok := t.listenerClientValidation(owner.gw, li)
		if len(problems) > 0 && len(refProblems) == 0 {
			refReason = reason
		}
		refProblems = append(refProblems, problems...)
		if !ok {
			li.ready = false
			t.setCondition(conds, gen, string(gwapiv1.ListenerConditionAccepted), false, string(gwapiv1.ListenerReasonNoValidCACertificate),
				"no caCertificateRef of the client certificate validation can be used: "+strings.Join(problems, "; "))
		}
	}
	li.status.SupportedKinds = li.kinds
	t.setCondition(conds, gen, string(gwapiv1.ListenerConditionResolvedRefs), len(refProblems) == 0, refReason, strings.Join(refProblems, "; "))
	return li
}

// listenerKinds returns the route kinds a listener takes, and a problem for each kind it asks for but
// cannot take.
func listenerKinds(l gwapiv1.Listener, allowed []string) ([]gwapiv1.RouteGroupKind, []string) {
	group := gwapiv1.Group(gwapiv1.GroupName)
	if l.AllowedRoutes == nil || len(l.AllowedRoutes.Kinds) == 0 {
		var out []gwapiv1.RouteGroupKind
		for _, k := range allowed {
			out = append(out, gwapiv1.RouteGroupKind{Group: &group, Kind: gwapiv1.Kind(k)})
		}
		return out, nil
	}
	out := []gwapiv1.RouteGroupKind{}
	var problems []string
	for _, k := range l.AllowedRoutes.Kinds {
		g := gwapiv1.GroupName
		if k.Group != nil {
			g = string(*k.Group)
		}
		if g != gwapiv1.GroupName || !slices.Contains(allowed, string(k.Kind)) {
			problems = append(problems, fmt.Sprintf("kind %s/%s is not supported on %s listeners", g, k.Kind, l.Protocol))
			continue
		}
		out = append(out, gwapiv1.RouteGroupKind{Group: &group, Kind: k.Kind})
	}
	return out, problems
}

// listenerTLS checks the TLS settings and certificate references of an HTTPS or TLS listener.
func (t *translator) listenerTLS(li *listenerInfo) (string, []string) {
	l := li.spec
	mode := gwapiv1.TLSModeTerminate
	if l.TLS != nil && l.TLS.Mode != nil {
		mode = *l.TLS.Mode
	}
	if mode == gwapiv1.TLSModePassthrough {
		if l.Protocol == gwapiv1.HTTPSProtocolType {
			li.ready = false
			return string(gwapiv1.ListenerReasonInvalidCertificateRef), []string{"HTTPS listeners terminate TLS; use protocol TLS for passthrough"}
		}
		return "", nil
	}
	if l.TLS == nil || len(l.TLS.CertificateRefs) == 0 {
		li.ready = false
		return string(gwapiv1.ListenerReasonInvalidCertificateRef), []string{"no certificateRefs"}
	}
	reason := ""
	var problems []string
	for _, ref := range l.TLS.CertificateRefs {
		cred, r, problem := t.resolveCertificateRef(li.owner.ref, l.Name, ref)
		if problem != "" {
			problems = append(problems, problem)
			if reason == "" || r == string(gwapiv1.ListenerReasonRefNotPermitted) {
				reason = r
			}
			continue
		}
		li.credentials = append(li.credentials, cred)
	}
	if len(li.credentials) == 0 {
		li.ready = false
	}
	return reason, problems
}

// resolveCertificateRef returns the credential ("namespace/name") of a listener's certificateRef, or the
// ResolvedRefs reason and message of why it cannot be used. A Secret that is missing or unusable is also
// a note on the Gateway or ListenerSet that declares the listener (an Event, for the controller). A
// ReferenceGrant must allow that object's kind: one for Gateways does not cover ListenerSets.
func (t *translator) resolveCertificateRef(owner ObjectRef, listener gwapiv1.SectionName, ref gwapiv1.SecretObjectReference) (string, string, string) {
	ns := owner.Namespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	if (ref.Group != nil && *ref.Group != "") || (ref.Kind != nil && *ref.Kind != "Secret") {
		return "", string(gwapiv1.ListenerReasonInvalidCertificateRef), fmt.Sprintf("certificateRef %s/%s: only core Secrets are supported", ns, ref.Name)
	}
	if !t.ix.refAllowed(gwapiv1.GroupName, owner.Kind, owner.Namespace, "", "Secret", ns, string(ref.Name)) {
		return "", string(gwapiv1.ListenerReasonRefNotPermitted), fmt.Sprintf("certificateRef to Secret %s/%s is not permitted by any ReferenceGrant in namespace %s", ns, ref.Name, ns)
	}
	if err := t.secretErr(ns, string(ref.Name)); err != nil {
		reason := string(gwapiv1.ListenerReasonInvalidCertificateRef)
		t.note(owner, NoteWarning, reason, "listener %s: %v", listener, err)
		return "", reason, err.Error()
	}
	return ns + "/" + string(ref.Name), "", ""
}

// protocolFamily groups the protocols that can share a port: HTTP on its own, HTTPS and TLS by SNI;
// any other protocol (TCP, UDP, ...) only with itself.
func protocolFamily(p gwapiv1.ProtocolType) string {
	switch p {
	case gwapiv1.HTTPProtocolType:
		return "http"
	case gwapiv1.HTTPSProtocolType, gwapiv1.TLSProtocolType:
		return "tls"
	}
	return string(p)
}

// conflictBetween returns why two listeners cannot share a port, or "" when they can.
func conflictBetween(a, b *listenerInfo) gwapiv1.ListenerConditionReason {
	switch {
	case a.spec.Port != b.spec.Port:
		return ""
	case protocolFamily(a.spec.Protocol) != protocolFamily(b.spec.Protocol):
		return gwapiv1.ListenerReasonProtocolConflict
	case a.hostname() == b.hostname():
		return gwapiv1.ListenerReasonHostnameConflict
	}
	return ""
}

// markConflicts flags listeners of one object that cannot be told apart. As the specification asks,
// no conflicting listener is picked as a winner: all of them are left out.
func markConflicts(ls []*listenerInfo) {
	for i, a := range ls {
		for j, b := range ls {
			if reason := conflictBetween(a, b); i != j && reason != "" {
				a.status.Conditions = append(a.status.Conditions, conflict(reason))
			}
		}
	}
}

// markConflictsWith flags the listeners of ls that conflict with a listener that takes precedence
// over them and holds its port (accepted, not conflicted): that one wins.
func markConflictsWith(ls, winners []*listenerInfo) {
	for _, a := range ls {
		for _, w := range winners {
			if reason := conflictBetween(a, w); reason != "" && w.holdsPort() {
				a.status.Conditions = append(a.status.Conditions, conflict(reason))
			}
		}
	}
}

// conflicted says whether a conflict has been found for a listener that is not settled yet.
func (l *listenerInfo) conflicted() bool {
	return slices.ContainsFunc(l.status.Conditions, func(c metav1.Condition) bool {
		return c.Type == string(gwapiv1.ListenerConditionConflicted) && c.Status == metav1.ConditionTrue
	})
}

// holdsPort says whether a settled listener keeps its port and hostname from listeners of lower
// precedence: it is accepted, which a conflicted listener is not.
func (l *listenerInfo) holdsPort() bool {
	return meta.IsStatusConditionTrue(l.status.Conditions, string(gwapiv1.ListenerConditionAccepted))
}

func conflict(reason gwapiv1.ListenerConditionReason) metav1.Condition {
	return metav1.Condition{Type: string(gwapiv1.ListenerConditionConflicted), Status: "True", Reason: string(reason)}
}

// finishListener settles the Conflicted and Programmed conditions of a listener.
func (t *translator) finishListener(li *listenerInfo) {
	conds := &li.status.Conditions
	var conflictReason string
	kept := (*conds)[:0]
	for _, c := range *conds {
		if c.Type == string(gwapiv1.ListenerConditionConflicted) {
			if conflictReason == "" || c.Reason == string(gwapiv1.ListenerReasonProtocolConflict) {
				conflictReason = c.Reason
			}
			continue
		}
		kept = append(kept, c)
	}
	*conds = kept
	gen := li.owner.generation
	if conflictReason != "" {
		li.ready = false
		t.setCondition(conds, gen, string(gwapiv1.ListenerConditionConflicted), true, conflictReason,
			fmt.Sprintf("another listener on port %d conflicts with this one", li.spec.Port))
		t.setCondition(conds, gen, string(gwapiv1.ListenerConditionAccepted), false, conflictReason, "the listener conflicts with another")
	} else {
		t.setCondition(conds, gen, string(gwapiv1.ListenerConditionConflicted), false, string(gwapiv1.ListenerReasonNoConflicts), "")
	}
	switch {
	case li.ready:
		t.setCondition(conds, gen, string(gwapiv1.ListenerConditionProgrammed), true, string(gwapiv1.ListenerReasonProgrammed), "")
	case conflictReason != "":
		t.setCondition(conds, gen, string(gwapiv1.ListenerConditionProgrammed), false, conflictReason, "the listener conflicts with another")
	default:
		t.setCondition(conds, gen, string(gwapiv1.ListenerConditionProgrammed), false, string(gwapiv1.ListenerReasonInvalid), "the listener is not valid")
	}
}

// unsupportedAddressType returns the first type of the Gateway's spec.addresses other than IPAddress
// (the default), or "".
func unsupportedAddressType(gw *gwapiv1.Gateway) string {
	for _, a := range gw.Spec.Addresses {
		if a.Type != nil && *a.Type != gwapiv1.IPAddressType {
			return string(*a.Type)
		}
	}
	return ""
}

// gatewayAddressError returns why a Gateway has no usable address, or "".
func (t *translator) gatewayAddressError(gw *gwapiv1.Gateway) string {
	if unsupportedAddressType(gw) != "" {
		return "spec.addresses has an address type that is not supported"
	}
	return t.opts.GatewayAddressErrors[gw.Namespace+"/"+gw.Name]
}

// finishGateway writes the status of a Gateway (after routes attached) and its Istio Gateway, which
// serves the listeners of its attached ListenerSets too.
func (t *translator) finishGateway(info *gatewayInfo) {
	gw := info.gw
	var st gwapiv1.GatewayStatus
	ready, own := 0, 0
	for _, l := range info.listeners {
		if l.set != nil {
			continue
		}
		own++
		l.status.AttachedRoutes = int32(len(l.attached))
		st.Listeners = append(st.Listeners, l.status)
		if l.ready {
			ready++
		}
	}
	st.AttachedListenerSets = attachedListenerSets(info)
	t.gatewayConditions(info, &st, ready, own)
	for _, a := range t.opts.GatewayAddresses[gw.Namespace+"/"+gw.Name] {
		typ := gwapiv1.HostnameAddressType
		if net.ParseIP(a) != nil {
			typ = gwapiv1.IPAddressType
		}
		st.Addresses = append(st.Addresses, gwapiv1.GatewayStatusAddress{Type: &typ, Value: a})
	}
	t.result.Status.Gateways[gatewayRef(gw)] = st
	if ready == 0 || t.gatewayAddressError(gw) != "" {
		return // nothing to serve, or nowhere to serve it
	}
	sources := []string{gatewayRef(gw).String()}
	for _, s := range info.sets {
		if s.accepted() {
			sources = append(sources, listenerSetRef(s.ls).String())
		}
	}
	slices.Sort(sources)
	t.result.Snapshot.Gateways = append(t.result.Snapshot.Gateways, model.Gateway{
		Meta: model.Meta{Name: gw.Name, Namespace: gw.Namespace, Fleet: info.fleet, Origin: model.OriginGatewayAPI, Sources: sources},
		Spec: &istionet.Gateway{Selector: map[string]string{model.FleetLabel: info.fleet}, Servers: istioServers(info)},
	})
}

// gatewayConditions sets the Accepted and Programmed conditions of a Gateway, ready of whose own
// listeners are ready.
func (t *translator) gatewayConditions(info *gatewayInfo, st *gwapiv1.GatewayStatus, ready, own int) {
	gw := info.gw
	gen := gw.Generation
	unsupported := unsupportedAddressType(gw)
	switch {
	case unsupported != "":
		t.setCondition(&st.Conditions, gen, string(gwapiv1.GatewayConditionAccepted), false, string(gwapiv1.GatewayReasonUnsupportedAddress),
			fmt.Sprintf("spec.addresses: type %s is not supported; only IPAddress is", unsupported))
	case ready == own:
		t.setCondition(&st.Conditions, gen, string(gwapiv1.GatewayConditionAccepted), true, string(gwapiv1.GatewayReasonAccepted), "")
	case ready > 0:
		t.setCondition(&st.Conditions, gen, string(gwapiv1.GatewayConditionAccepted), true, string(gwapiv1.GatewayReasonListenersNotValid),
			fmt.Sprintf("%d of %d listeners are not valid", own-ready, own))
	default:
		t.setCondition(&st.Conditions, gen, string(gwapiv1.GatewayConditionAccepted), false, string(gwapiv1.GatewayReasonListenersNotValid), "no listener is valid")
	}
	addrErr := t.gatewayAddressError(gw)
	switch {
	case unsupported != "":
		t.setCondition(&st.Conditions, gen, string(gwapiv1.GatewayConditionProgrammed), false, string(gwapiv1.GatewayReasonInvalid), addrErr)
	case addrErr != "" && len(gw.Spec.Addresses) > 0:
		t.setCondition(&st.Conditions, gen, string(gwapiv1.GatewayConditionProgrammed), false, string(gwapiv1.GatewayReasonAddressNotUsable), addrErr)
	case addrErr != "":
		t.setCondition(&st.Conditions, gen, string(gwapiv1.GatewayConditionProgrammed), false, string(gwapiv1.GatewayReasonAddressNotAssigned), addrErr)
	case ready > 0:
		t.setCondition(&st.Conditions, gen, string(gwapiv1.GatewayConditionProgrammed), true, string(gwapiv1.GatewayReasonProgrammed), "")
	default:
		t.setCondition(&st.Conditions, gen, string(gwapiv1.GatewayConditionProgrammed), false, string(gwapiv1.GatewayReasonInvalid), "no listener is valid")
	}
	t.frontendConditions(gw, st)
	t.gatewayResolvedRefs(gw, st, info.backendCert)
}

// istioServers are the servers of the ready listeners of a Gateway and of its attached ListenerSets.
// A ListenerSet's listener is named after its ListenerSet too: names are unique only per object.
func istioServers(info *gatewayInfo) []*istionet.Server {
	var servers []*istionet.Server
	for _, l := range info.listeners {
		if !l.ready {
			continue
		}
		name := string(l.spec.Name)
		if l.set != nil {
			name = l.set.ls.Namespace + "/" + l.set.ls.Name + "/" + name
		}
		s := &istionet.Server{
			Name:  name,
			Port:  &istionet.Port{Number: uint32(l.spec.Port), Protocol: string(l.spec.Protocol), Name: name},
			Hosts: []string{cmp.Or(l.hostname(), "*")},
		}
		switch {
		case l.spec.Protocol == gwapiv1.TLSProtocolType && len(l.credentials) == 0:
			s.Tls = &istionet.ServerTLSSettings{Mode: istionet.ServerTLSSettings_PASSTHROUGH}
		case l.spec.Protocol != gwapiv1.HTTPProtocolType:
			s.Tls = &istionet.ServerTLSSettings{Mode: istionet.ServerTLSSettings_SIMPLE, CredentialNames: l.credentials}
			serverClientTLS(s.Tls, l.clientValidation)
		}
		servers = append(servers, s)
	}
	return servers
}

// validListenerHostname checks what the API server's validation would: a DNS-1123 subdomain, optionally
// with a leading "*." wildcard label, and not an IP address.
func validListenerHostname(h string) bool {
	if h == "" {
		return true
	}
	name := strings.TrimPrefix(h, "*.")
	return net.ParseIP(h) == nil && len(validation.IsDNS1123Subdomain(name)) == 0
}
