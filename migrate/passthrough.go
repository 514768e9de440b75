package migrate

import (
	"fmt"
	"maps"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// passthroughHost is one host of an ssl-passthrough Ingress: TLS connections whose SNI names it go,
// undecrypted, to the backend of its path "/".
type passthroughHost struct {
	owner   *ingressPlan
	host    string
	subject string
	backend gwapiv1.BackendRef
}

// planPassthrough reads the hosts of an ssl-passthrough Ingress. As ingress-nginx (and gatebridge serving
// the Ingress), its HTTP paths and default backends are not served: each host's path "/" takes the TLS
// connections of that host.
func (b *gwBuilder) planPassthrough(p *ingressPlan) {
	for ri, rule := range p.ing.Spec.Rules {
		subject := fmt.Sprintf("spec.rules[%d]", ri)
		if rule.Host == "" || rule.Host == "*" {
			p.item(subject, Exact, "", "ssl-passthrough needs a host (TLS clients send it as SNI): the rule is not served, as under ingress-nginx")
			continue
		}
		pi, ok := passthroughPathIndex(rule.HTTP)
		if !ok {
			p.item(subject, Exact, rule.Host, "ssl-passthrough sends TLS connections to the backend of path /, which this host does not have: not served, as under ingress-nginx")
			continue
		}
		ps := fmt.Sprintf("%s.http.paths[%d]", subject, pi)
		refs, ok := b.backendRef(p, ps, rule.Host, rule.HTTP.Paths[pi].Backend)
		if !ok {
			continue
		}
		p.passthrough = append(p.passthrough, &passthroughHost{owner: p, host: rule.Host, subject: ps, backend: refs[0].BackendRef})
	}
	if p.ing.Spec.DefaultBackend != nil {
		p.item("spec.defaultBackend", Exact, "", "not served for an ssl-passthrough Ingress, as under ingress-nginx")
	}
}

func passthroughPathIndex(http *networkingv1.HTTPIngressRuleValue) (int, bool) {
	if http == nil {
		return 0, false
	}
	for i, ip := range http.Paths {
		if ip.Path == "/" || ip.Path == "" {
			return i, true
		}
	}
	return 0, false
}

// resolvePassthrough gives each passed-through host to the oldest Ingress that asks for it.
func resolvePassthrough(cb *classBuild) {
	cb.passthrough = map[string]*passthroughHost{}
	for _, p := range cb.plans {
		for _, ph := range p.passthrough {
			if owner, ok := cb.passthrough[ph.host]; ok {
				p.item(ph.subject, Exact, ph.host, "host already passed through by %s (older): left out, as under ingress-nginx", owner.owner.ref)
				continue
			}
			cb.passthrough[ph.host] = ph
		}
	}
}

// buildTLSRoutes makes a TLSRoute for each passed-through host, attached to the host's TLS listener
// (protocol TLS, mode Passthrough).
func (b *gwBuilder) buildTLSRoutes(cb *classBuild) {
	for _, h := range slices.Sorted(maps.Keys(cb.passthrough)) {
		ph := cb.passthrough[h]
		p := ph.owner
		name := p.ing.Name
		if owned := ownedPassthrough(cb, p); owned > 1 {
			name += "-" + hostSlug(h)
		}
		hl := cb.listeners[h]
		route := &gwapiv1.TLSRoute{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: p.ing.Namespace, Labels: sourceLabels(p)},
			Spec: gwapiv1.TLSRouteSpec{
				CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: []gwapiv1.ParentReference{parentRef(hl, hl.passthrough)}},
				Hostnames:       []gwapiv1.Hostname{gwapiv1.Hostname(h)},
				Rules:           []gwapiv1.TLSRouteRule{{BackendRefs: []gwapiv1.BackendRef{ph.backend}}},
			},
		}
		b.out.tlsRoutes = append(b.out.tlsRoutes, route)
		p.report.Outputs = append(p.report.Outputs, "TLSRoute/"+p.ing.Namespace+"/"+name, "Gateway/"+hl.namespace+"/"+hl.gateway)
		p.item(ph.subject, Exact, h, "TLS connections for %s go undecrypted to %s: listener %s (protocol TLS, mode Passthrough) and TLSRoute %s",
			h, ph.backend.Name, hl.passthrough, name)
	}
}

func ownedPassthrough(cb *classBuild, p *ingressPlan) int {
	n := 0
	for _, ph := range cb.passthrough {
		if ph.owner == p {
			n++
		}
	}
	return n
}
