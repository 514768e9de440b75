package convert

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	istionet "istio.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/model"
)

// gatewayClientCert is the client certificate a Gateway's fleet presents to the backends whose
// BackendTLSPolicy originates TLS (spec.tls.backend.clientCertificateRef).
type gatewayClientCert struct {
	fleet  string
	gw     ObjectRef
	secret string // "namespace/name"
}

// resolveBackendClientCert resolves the client certificate a Gateway names for its backends. It returns
// the Gateway's ResolvedRefs problem when the reference cannot be used: the fleet then originates TLS
// without a client certificate (backends that require one refuse it).
func (t *translator) resolveBackendClientCert(gw *gwapiv1.Gateway, fleet string) *refProblem {
	if gw.Spec.TLS == nil || gw.Spec.TLS.Backend == nil || gw.Spec.TLS.Backend.ClientCertificateRef == nil {
		return nil
	}
	ref := gw.Spec.TLS.Backend.ClientCertificateRef
	ns := gw.Namespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	invalid := gwapiv1.RouteConditionReason(gwapiv1.GatewayReasonInvalidClientCertificateRef)
	if (ref.Group != nil && *ref.Group != "") || (ref.Kind != nil && *ref.Kind != "Secret") {
		return &refProblem{reason: invalid, message: fmt.Sprintf("clientCertificateRef %s/%s: only core Secrets are supported", ns, ref.Name)}
	}
	if !t.ix.refAllowed(gwapiv1.GroupName, "Gateway", gw.Namespace, "", "Secret", ns, string(ref.Name)) {
		return &refProblem{reason: gwapiv1.RouteConditionReason(gwapiv1.GatewayReasonRefNotPermitted),
			message: fmt.Sprintf("clientCertificateRef to Secret %s/%s is not permitted by any ReferenceGrant in namespace %s", ns, ref.Name, ns)}
	}
	if err := t.secretErr(ns, string(ref.Name)); err != nil {
		t.note(gatewayRef(gw), NoteWarning, string(invalid), "clientCertificateRef: %v", err)
		return &refProblem{reason: invalid, message: "clientCertificateRef " + err.Error()}
	}
	t.clientCerts[nsName{gw.Namespace, gw.Name}] = gatewayClientCert{fleet: fleet, gw: gatewayRef(gw), secret: ns + "/" + string(ref.Name)}
	return nil
}

// gatewayResolvedRefs sets the Gateway's ResolvedRefs condition when it has spec.tls: false for a
// backend client certificate that cannot be used, or for listeners whose references do not resolve.
func (t *translator) gatewayResolvedRefs(gw *gwapiv1.Gateway, st *gwapiv1.GatewayStatus, backend *refProblem) {
	if gw.Spec.TLS == nil {
		return
	}
	typ := string(gwapiv1.GatewayConditionResolvedRefs)
	if backend != nil {
		t.setCondition(&st.Conditions, gw.Generation, typ, false, string(backend.reason), backend.message)
		return
	}
	var unresolved []string
	for _, l := range st.Listeners {
		if c := findCondition(l.Conditions, string(gwapiv1.ListenerConditionResolvedRefs)); c != nil && c.Status != metav1.ConditionTrue {
			unresolved = append(unresolved, string(l.Name))
		}
	}
	if len(unresolved) > 0 {
		t.setCondition(&st.Conditions, gw.Generation, typ, false, string(gwapiv1.GatewayReasonListenersNotResolved),
			"listeners with references that do not resolve: "+strings.Join(unresolved, ", "))
		return
	}
	t.setCondition(&st.Conditions, gw.Generation, typ, true, string(gwapiv1.GatewayReasonResolvedRefs), "")
}

func findCondition(conds []metav1.Condition, typ string) *metav1.Condition {
	i := slices.IndexFunc(conds, func(c metav1.Condition) bool { return c.Type == typ })
	if i < 0 {
		return nil
	}
	return &conds[i]
}

// clientCertRules returns, for each Gateway with a client certificate whose routes send to a port of
// the Service that a BackendTLSPolicy originates TLS to, a DestinationRule of the Gateway's fleet: the
// Service's rule (base), with that port's TLS made MUTUAL with a credential holding the Gateway's
// certificate and key and the policy's CA certificates. A fleet's own rule takes the place of the
// shared one's traffic policy.
func (t *translator) clientCertRules(ms model.Service, base *model.DestinationRule) []model.DestinationRule {
	if base == nil || base.Spec.TrafficPolicy == nil || len(t.clientCerts) == 0 {
		return nil
	}
	var out []model.DestinationRule
	for _, gw := range sortedGateways(t.clientCerts) {
		cc := t.clientCerts[gw]
		spec := &istionet.DestinationRule{Host: base.Spec.Host, TrafficPolicy: proto.Clone(base.Spec.TrafficPolicy).(*istionet.TrafficPolicy)}
		changed := false
		for _, pp := range spec.TrafficPolicy.PortLevelSettings {
			tls := pp.GetTls()
			hp := hostPort{ms.Host, pp.GetPort().GetNumber()}
			if tls == nil || !strings.HasPrefix(tls.CredentialName, policyCredentialPrefix) || !t.backendParents[hp][gw] {
				continue
			}
			tls.Mode = istionet.ClientTLSSettings_MUTUAL
			tls.CredentialName = t.clientCredential(tls.CredentialName, cc.secret)
			changed = true
		}
		if !changed {
			continue
		}
		sources := slices.Sorted(slices.Values(append(slices.Clone(base.Sources), cc.gw.String())))
		out = append(out, model.DestinationRule{
			Meta: model.Meta{Name: base.Name + "-" + cc.fleet, Namespace: base.Namespace, Fleet: cc.fleet, Sources: sources},
			Spec: spec,
		})
	}
	return out
}

// clientCredential names the credential of a policy's CA certificates with a Gateway's client
// certificate ("<policy credential>/client/<namespace>/<name>") and records its material when the policy
// has CA certificates (without them the rule's requests fail, as the policy's alone do).
func (t *translator) clientCredential(policyCred, secret string) string {
	name := policyCred + "/client/" + secret
	ca, ok := t.policyCAs[policyCred]
	if !ok {
		return name
	}
	if served, _ := t.secrets.Material([]string{secret}); len(served) == 1 {
		t.policyCAs[name] = model.TLSSecret{Name: name, CA: ca.CA, Cert: served[0].Cert, Key: served[0].Key}
	}
	return name
}

func sortedGateways(m map[nsName]gatewayClientCert) []nsName {
	out := make([]nsName, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b nsName) int { return strings.Compare(a.namespace+"/"+a.name, b.namespace+"/"+b.name) })
	return out
}
