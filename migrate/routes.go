package migrate

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/annotations"
)

// buildRoutes makes the HTTPRoutes of one Ingress: one per host (split at the API's limits). A host with
// TLS is served on its HTTPS listener; on its HTTP listener too when ssl-redirect is off, or else by a
// route that redirects to HTTPS with the same matches, as ingress-nginx does by default.
func (b *gwBuilder) buildRoutes(cb *classBuild, p *ingressPlan) {
	for _, h := range p.routeHosts() {
		var rules []gwapiv1.HTTPRouteRule
		for _, r := range p.paths[h] {
			rules = append(rules, r.rule)
		}
		tls := cb.tls[h] != nil
		redirect := tls && b.sslRedirect(p)
		var parents []gwapiv1.ParentReference
		if !redirect {
			parents = append(parents, cb.parents(h, false)...)
		}
		if tls {
			parents = append(parents, cb.parents(h, true)...)
		}
		name := p.routeName(h)
		b.addHostRoutes(cb, p, h, name, parents, rules)
		if redirect {
			b.addHTTPRoutes(p, h, cb.hostnames(h), name+"-redirect", cb.parents(h, false), redirectRules(rules))
			p.item("ssl-redirect", Exact, h, "HTTP requests get a 308 redirect to HTTPS, as ingress-nginx does by default for a host with TLS: HTTPRoute %s-redirect", name)
		}
	}
}

// addHostRoutes adds the routes of one host: a GRPCRoute for a backend-protocol GRPC(S) Ingress when its
// rules allow one, HTTPRoutes otherwise (then the Service port needs appProtocol kubernetes.io/h2c for
// HTTP/2 to the backend).
func (b *gwBuilder) addHostRoutes(cb *classBuild, p *ingressPlan, h, name string, parents []gwapiv1.ParentReference, rules []gwapiv1.HTTPRouteRule) {
	if !p.settings.Routing.Backend.HTTP2() {
		b.addHTTPRoutes(p, h, cb.hostnames(h), name, parents, rules)
		return
	}
	why := "backend-protocol H2C is not gRPC: GRPCRoute is for gRPC calls"
	if p.settings.Routing.Backend.Protocol != annotations.BackendH2C {
		var ok bool
		if ok, why = b.addGRPCRoute(cb, p, h, name, parents, rules); ok {
			return
		}
	}
	b.addHTTPRoutes(p, h, cb.hostnames(h), name, parents, rules)
	b.action("Services of Ingress %s: set appProtocol kubernetes.io/h2c on the ports it sends to (Gateway API takes the backend protocol from the Service, not the HTTPRoute)", p.ref)
	p.item(np+"backend-protocol", Approximated, h, "HTTPRoute to the same Service (%s); the backend speaks HTTP/2 only once its Service port has appProtocol kubernetes.io/h2c (see the actions)", why)
}

func parentRef(hl hostListeners, section gwapiv1.SectionName) gwapiv1.ParentReference {
	return gwapiv1.ParentReference{
		Name: gwapiv1.ObjectName(hl.gateway), Namespace: new(gwapiv1.Namespace(hl.namespace)), SectionName: &section,
	}
}

// redirectRules are rules with the matches of rules that redirect to HTTPS with 308.
func redirectRules(rules []gwapiv1.HTTPRouteRule) []gwapiv1.HTTPRouteRule {
	var out []gwapiv1.HTTPRouteRule
	for _, r := range rules {
		out = append(out, gwapiv1.HTTPRouteRule{Matches: r.Matches, Filters: []gwapiv1.HTTPRouteFilter{{
			Type:            gwapiv1.HTTPRouteFilterRequestRedirect,
			RequestRedirect: &gwapiv1.HTTPRequestRedirectFilter{Scheme: new("https"), StatusCode: new(308)},
		}}})
	}
	return out
}

// addHTTPRoutes adds the routes of one host of an Ingress, merged and split at the API's limits.
func (b *gwBuilder) addHTTPRoutes(p *ingressPlan, host string, hostnames []gwapiv1.Hostname, name string, parents []gwapiv1.ParentReference, rules []gwapiv1.HTTPRouteRule) {
	chunks := splitRules(mergeRules(rules))
	for i, chunk := range chunks {
		n := name
		if i > 0 {
			n = fmt.Sprintf("%s-%d", name, i+1)
		}
		route := &gwapiv1.HTTPRoute{
			ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: p.ing.Namespace, Labels: sourceLabels(p)},
			Spec: gwapiv1.HTTPRouteSpec{
				CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: parents},
				Hostnames:       hostnames,
				Rules:           chunk,
			},
		}
		b.out.httpRoutes = append(b.out.httpRoutes, route)
		p.report.Outputs = append(p.report.Outputs, "HTTPRoute/"+p.ing.Namespace+"/"+n)
	}
	if len(chunks) > 1 {
		p.item("spec.rules", Exact, host, "split into %d HTTPRoutes named %s*: a route holds at most %d rules and %d matches (%d per rule)",
			len(chunks), name, maxRulesPerRoute, maxMatchesPerRoute, maxMatchesPerRule)
	}
}

// SourceLabel names, on every resource migrate makes from one Ingress, that Ingress's name.
const SourceLabel = "gatebridge.dev/migrated-from"

func sourceLabels(p *ingressPlan) map[string]string {
	return map[string]string{SourceLabel: p.ing.Name}
}
