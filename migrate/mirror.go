package migrate

import (
	"slices"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/convert"
)

var mirrorKeys = []string{"mirror-target", "mirror-host", "mirror-request-body"}

// mapMirror carries mirror-target over as gatebridge serves it: a RequestMirror filter to the port of the
// Service its host names (<service>.<namespace>[.svc[.cluster.local]]) on every rule that sends to a
// backend (default backends and redirects mirror nothing); the Host of the copies (mirror-host, or the
// target's host) goes in the Ingress's RoutePolicy (mirrorHost), without which Envoy would send the
// request's Host with "-shadow" appended.
func (b *gwBuilder) mapMirror(p *ingressPlan, done reporter) {
	m := p.settings.Routing.Mirror
	if m == nil {
		b.reportUnusedMirror(p, done)
		return
	}
	name, ns, ok := clusterService(m.Host)
	if !ok {
		done(Lost, "the host %q of mirror-target is not a Service of the cluster (<service>.<namespace>[.svc[.%s]]), the only mirror targets gatebridge reaches (it mirrors nothing for the Ingress): "+
			"add a RequestMirror filter to a Service by hand", []any{m.Host, convert.DefaultDomainSuffix}, mirrorKeys...)
		return
	}
	ref := serviceRef(name, int32(m.Port)).BackendObjectReference
	if ns != p.ing.Namespace {
		ref.Namespace = new(gwapiv1.Namespace(ns))
		b.grantRouteService(p, ns, name)
	}
	filter := gwapiv1.HTTPRouteFilter{Type: gwapiv1.HTTPRouteFilterRequestMirror, RequestMirror: &gwapiv1.HTTPRequestMirrorFilter{BackendRef: ref}}
	p.eachRule(func(r *pathRule) {
		if !r.isDefault && !hasRedirect(r.rule) && len(r.rule.BackendRefs) > 0 {
			r.rule.Filters = append(r.rule.Filters, filter)
		}
	})
	p.mirrorHost = m.Authority
	outcome, why := Exact, "the copies keep the request's path and query, as ingress-nginx sends them with $request_uri"
	if f := p.finding("mirror-target"); f != nil {
		outcome, why = Approximated, f.Message
	}
	done(outcome, "every rule that sends to a backend has a RequestMirror filter to Service %s/%s port %d (its answers are ignored); its RoutePolicy %s sets the copies' Host to %s (mirrorHost); %s",
		[]any{ns, name, m.Port, p.ing.Name, m.Authority, why}, "mirror-target")
	if f := p.finding("mirror-host"); f != nil {
		done(Lost, "%s: the copies carry the target's host %s, as gatebridge serves it", []any{f.Message, m.Authority}, "mirror-host")
	} else {
		done(Exact, "the copies' Host is %s: mirrorHost of RoutePolicy %s", []any{m.Authority, p.ing.Name}, "mirror-host")
	}
	if f := p.finding("mirror-request-body"); f != nil {
		done(Approximated, "%s", []any{f.Message}, "mirror-request-body")
	} else {
		done(Exact, "%s", []any{"the copies carry the request's body"}, "mirror-request-body")
	}
}

// reportUnusedMirror reports the mirror keys of an Ingress without a usable mirror-target.
func (b *gwBuilder) reportUnusedMirror(p *ingressPlan, done reporter) {
	f := p.finding("mirror-target")
	if _, asked := p.ing.Annotations[np+"mirror-target"]; !asked || f == nil {
		done(Exact, "%s", []any{"no effect without mirror-target, as in ingress-nginx"}, mirrorKeys...)
		return
	}
	done(Lost, "%s (gatebridge mirrors nothing for the Ingress): add a RequestMirror filter to a Service by hand if the target is one", []any{f.Message}, mirrorKeys...)
}

// finding is what the annotation parser says of key (without prefix), nil when nothing.
func (p *ingressPlan) finding(key string) *annotations.Finding {
	i := slices.IndexFunc(p.findings, func(f annotations.Finding) bool { return f.Key == np+key })
	if i < 0 {
		return nil
	}
	return &p.findings[i]
}

// grantRouteService records that the routes of p's namespace send copies to a Service of namespace ns.
func (b *gwBuilder) grantRouteService(p *ingressPlan, ns, name string) {
	key := [2]string{ns, p.ing.Namespace}
	if b.out.routeGrants == nil {
		b.out.routeGrants = map[[2]string]map[string]bool{}
	}
	if b.out.routeGrants[key] == nil {
		b.out.routeGrants[key] = map[string]bool{}
	}
	b.out.routeGrants[key][name] = true
	p.report.Outputs = append(p.report.Outputs, "ReferenceGrant/"+ns+"/"+routeGrantName(p.ing.Namespace))
}

func routeGrantName(from string) string { return "routes-" + from }
