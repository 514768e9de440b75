package convert

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	istionet "istio.io/api/networking/v1"
	corev1 "k8s.io/api/core/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/certs"
	"github.com/gatebridge/gatebridge/model"
)

// policyCredentialPrefix starts the credential name of the CA certificates of a BackendTLSPolicy
// ("backendtlspolicy/namespace/name"): the bundle of the ConfigMaps it names, which no Secret holds.
const policyCredentialPrefix = "backendtlspolicy/"

// maxPolicyAncestors is how many ancestors a policy's status may list (the CRD's limit).
const maxPolicyAncestors = 16

// hostPort is a Service port, by the destination host of its Service.
type hostPort struct {
	host string
	port uint32
}

// portTLS is TLS origination a BackendTLSPolicy asks for on one Service port.
type portTLS struct {
	settings *istionet.ClientTLSSettings
	// whole says the policy targets the whole Service: a policy for the port's sectionName wins over it.
	whole bool
}

// recordBackendParents notes, for every Service port the rules of an HTTPRoute or GRPCRoute send to,
// the Gateways that accepted the route: they are the ancestors of the BackendTLSPolicies of the port.
func (t *translator) recordBackendParents(rc routeCommon, parents []parentResult, entries []httpEntry) {
	for _, p := range parents {
		if p.problem != nil {
			continue
		}
		gw := nsName{rc.ref.Namespace, string(p.ref.Name)}
		if p.ref.Namespace != nil && *p.ref.Namespace != "" {
			gw.namespace = string(*p.ref.Namespace)
		}
		for _, e := range entries {
			for _, r := range e.routes {
				for _, d := range r.Route {
					hp := hostPort{d.GetDestination().GetHost(), d.GetDestination().GetPort().GetNumber()}
					if t.backendParents[hp] == nil {
						t.backendParents[hp] = map[nsName]bool{}
					}
					t.backendParents[hp][gw] = true
				}
			}
		}
	}
}

// translateBackendTLSPolicies turns every BackendTLSPolicy that targets a Service into TLS origination
// for its ports (see destinationRuleFor) and writes its status for each Gateway whose routes use
// those ports. Of two policies for the same Service and sectionName, the older (then the first by
// namespace/name) wins; the other is Conflicted. A policy without a usable CA certificate still asks
// for TLS, with no material: Envoy fails its requests (503) rather than skip verification.
func (t *translator) translateBackendTLSPolicies() {
	policies := make([]*gwapiv1.BackendTLSPolicy, 0, len(t.in.BackendTLSPolicies))
	for i := range t.in.BackendTLSPolicies {
		policies = append(policies, &t.in.BackendTLSPolicies[i])
	}
	slices.SortStableFunc(policies, func(a, b *gwapiv1.BackendTLSPolicy) int { return olderFirst(&a.ObjectMeta, &b.ObjectMeta) })
	claimed := map[string]bool{}
	for _, p := range policies {
		t.translateBackendTLSPolicy(p, claimed)
	}
}

func (t *translator) translateBackendTLSPolicy(p *gwapiv1.BackendTLSPolicy, claimed map[string]bool) {
	ancestors := map[nsName]bool{}
	conflicted := false
	var ports []hostPort
	var whole []bool
	for _, ref := range p.Spec.TargetRefs {
		svc, ok := t.ix.services[nsName{p.Namespace, string(ref.Name)}]
		if ref.Group != "" || ref.Kind != "Service" || !ok {
			continue // not a target gatebridge serves: no ancestor to report on
		}
		section := ""
		if ref.SectionName != nil {
			section = string(*ref.SectionName)
		}
		key := p.Namespace + "/" + svc.Name + "#" + section
		conflicted = conflicted || claimed[key]
		claimed[key] = true
		host := serviceHost(svc.Namespace, svc.Name, t.opts.DomainSuffix)
		for _, sp := range svc.Spec.Ports {
			if section != "" && sp.Name != section {
				continue
			}
			hp := hostPort{host, uint32(sp.Port)}
			ports, whole = append(ports, hp), append(whole, section == "")
			for gw := range t.backendParents[hp] {
				ancestors[gw] = true
			}
		}
	}
	ca, resolved, accepted := t.policyCA(p)
	if conflicted {
		accepted = &refProblem{reason: gwapiv1.RouteConditionReason(gwapiv1.PolicyReasonConflicted),
			message: "an older BackendTLSPolicy targets the same Service and sectionName"}
	}
	t.backendTLSPolicyStatus(p, ancestors, resolved, accepted)
	if conflicted {
		return
	}
	cred := policyCredentialPrefix + p.Namespace + "/" + p.Name
	if len(ca) > 0 {
		t.policyCAs[cred] = model.TLSSecret{Name: cred, CA: ca}
	}
	settings := &istionet.ClientTLSSettings{Mode: istionet.ClientTLSSettings_SIMPLE, CredentialName: cred,
		Sni: string(p.Spec.Validation.Hostname), SubjectAltNames: policySANs(p.Spec.Validation)}
	for i, hp := range ports {
		if have, ok := t.policyTLS[hp]; ok && (!have.whole || whole[i]) {
			continue // a policy for the port's sectionName, or an older one for the whole Service, has it
		}
		t.policyTLS[hp] = portTLS{settings: settings, whole: whole[i]}
	}
}

// policySANs are the names a backend's certificate must have: the subjectAltNames, or else the
// hostname.
func policySANs(v gwapiv1.BackendTLSPolicyValidation) []string {
	if len(v.SubjectAltNames) == 0 {
		return []string{string(v.Hostname)}
	}
	var out []string
	for _, san := range v.SubjectAltNames {
		switch san.Type {
		case gwapiv1.HostnameSubjectAltNameType:
			out = append(out, string(san.Hostname))
		case gwapiv1.URISubjectAltNameType:
			out = append(out, string(san.URI))
		}
	}
	return out
}

// policyCA resolves the CA certificates of a policy: the bundle of every usable ConfigMap it names
// (ca.crt), a ResolvedRefs problem naming the first reference that is not usable, and an Accepted
// problem when none is (or when it asks for the system's certificates, which Envoy cannot use).
func (t *translator) policyCA(p *gwapiv1.BackendTLSPolicy) (ca []byte, resolved, accepted *refProblem) {
	v := p.Spec.Validation
	if v.WellKnownCACertificates != nil && *v.WellKnownCACertificates != "" {
		return nil, nil, &refProblem{reason: gwapiv1.RouteConditionReason(gwapiv1.PolicyReasonInvalid),
			message: fmt.Sprintf("wellKnownCACertificates %q is not supported: name a ConfigMap holding ca.crt", *v.WellKnownCACertificates)}
	}
	var bundle [][]byte
	for _, ref := range v.CACertificateRefs {
		b, problem := t.configMapCA(p.Namespace, ref)
		if problem != nil {
			firstProblem(&resolved, problem.reason, "%s", problem.message)
			continue
		}
		bundle = append(bundle, b)
	}
	if len(bundle) == 0 {
		msg := "no caCertificateRefs"
		if resolved != nil {
			msg = resolved.message
		}
		accepted = &refProblem{reason: gwapiv1.RouteConditionReason(gwapiv1.BackendTLSPolicyReasonNoValidCACertificate), message: msg}
	}
	return bytes.Join(bundle, []byte("\n")), resolved, accepted
}

// configMapCA reads the ca.crt of a ConfigMap a policy names, in the policy's namespace.
func (t *translator) configMapCA(namespace string, ref gwapiv1.LocalObjectReference) ([]byte, *refProblem) {
	if ref.Group != "" || ref.Kind != "ConfigMap" {
		return nil, &refProblem{reason: gwapiv1.RouteConditionReason(gwapiv1.BackendTLSPolicyReasonInvalidKind),
			message: fmt.Sprintf("caCertificateRef %s: kind %q of group %q is not supported, only ConfigMap", ref.Name, ref.Kind, ref.Group)}
	}
	b, err := t.configMapBundle(namespace, string(ref.Name))
	if err != nil {
		return nil, &refProblem{reason: gwapiv1.RouteConditionReason(gwapiv1.BackendTLSPolicyReasonInvalidCACertificateRef),
			message: "caCertificateRef " + err.Error()}
	}
	return b, nil
}

// configMapBundle reads the CA certificates of the ca.crt of a ConfigMap; the error names the
// ConfigMap and says why it cannot be used.
func (t *translator) configMapBundle(namespace, name string) ([]byte, error) {
	i := slices.IndexFunc(t.in.ConfigMaps, func(cm corev1.ConfigMap) bool { return cm.Namespace == namespace && cm.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("ConfigMap %s/%s: not found", namespace, name)
	}
	pem := t.in.ConfigMaps[i].Data[certs.CACertKey]
	if strings.TrimSpace(pem) == "" {
		return nil, fmt.Errorf("ConfigMap %s/%s: has no %s", namespace, name, certs.CACertKey)
	}
	if err := certs.CheckCABundle([]byte(pem)); err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s: %s: %w", namespace, name, certs.CACertKey, err)
	}
	return []byte(pem), nil
}

// backendTLSPolicyStatus writes the ancestors of a policy gatebridge owns: Accepted and ResolvedRefs
// for each Gateway that uses a Service port it targets.
func (t *translator) backendTLSPolicyStatus(p *gwapiv1.BackendTLSPolicy, ancestors map[nsName]bool, resolved, accepted *refProblem) {
	ref := ObjectRef{Kind: "BackendTLSPolicy", Namespace: p.Namespace, Name: p.Name}
	gws := sortedKeys(ancestors, compareNsName)
	if len(gws) > maxPolicyAncestors {
		gws = gws[:maxPolicyAncestors]
	}
	var st gwapiv1.PolicyStatus
	for _, gw := range gws {
		group, kind, ns := gwapiv1.Group(gwapiv1.GroupName), gwapiv1.Kind("Gateway"), gwapiv1.Namespace(gw.namespace)
		as := gwapiv1.PolicyAncestorStatus{
			AncestorRef:    gwapiv1.ParentReference{Group: &group, Kind: &kind, Namespace: &ns, Name: gwapiv1.ObjectName(gw.name)},
			ControllerName: gwapiv1.GatewayController(t.opts.GatewayController),
		}
		if accepted != nil {
			t.setCondition(&as.Conditions, p.Generation, string(gwapiv1.PolicyConditionAccepted), false, string(accepted.reason), accepted.message)
		} else {
			t.setCondition(&as.Conditions, p.Generation, string(gwapiv1.PolicyConditionAccepted), true, string(gwapiv1.PolicyReasonAccepted), "")
		}
		if resolved != nil {
			t.setCondition(&as.Conditions, p.Generation, string(gwapiv1.BackendTLSPolicyConditionResolvedRefs), false, string(resolved.reason), resolved.message)
		} else {
			t.setCondition(&as.Conditions, p.Generation, string(gwapiv1.BackendTLSPolicyConditionResolvedRefs), true, string(gwapiv1.BackendTLSPolicyReasonResolvedRefs), "")
		}
		st.Ancestors = append(st.Ancestors, as)
	}
	t.result.Status.BackendTLSPolicies[ref] = st
	for _, problem := range []*refProblem{accepted, resolved} {
		if problem != nil {
			t.note(ref, NoteWarning, string(problem.reason), "%s", problem.message)
		}
	}
}
