package convert

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	istionet "istio.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/annotations"
)

// ingressPathRoutes builds the Istio routes of one path of an Ingress host with what the Ingress's
// ingress-nginx annotations ask for, in the order nginx applies them: a URL redirect, then the redirect
// of plain HTTP to HTTPS, then the canary's header and cookie rules, then the path's own route.
func (t *translator) ingressPathRoutes(f *ingressFleet, h ingressHost, p ingressPath) ([]*istionet.HTTPRoute, bool) {
	pm := p.path
	if h.regex && !p.isDefault {
		var err error
		if pm, err = regexPath(p.path); err != nil {
			t.note(ingressRef(p.ing), NoteWarning, ReasonInvalidPath, "%s: %v; the path is not served", p.what, err)
			return nil, false
		}
	}
	route, ok := t.ingressRoute(p)
	if !ok {
		return nil, false
	}
	r := f.routing(p.ing)
	variants := []*istionet.HTTPRoute{route}
	if p.isDefault && len(route.Route) > 0 {
		applyNginxRetries(route, r.Upstream)
	}
	if !p.isDefault {
		t.applyNginxRouting(route, p, r)
		if m := f.mirrors[p.ing]; m != nil && len(route.Route) > 0 {
			route.Mirrors = []*istionet.HTTPMirrorPolicy{proto.Clone(m).(*istionet.HTTPMirrorPolicy)}
		}
		variants = t.canaryRoutes(route, p, r)
	}
	if redirect := t.sslRedirectRoute(route, p, r, h.tls); redirect != nil {
		variants = append([]*istionet.HTTPRoute{redirect}, variants...)
	}
	var out []*istionet.HTTPRoute
	for _, v := range variants {
		out = append(out, expandPath(v, pm, pathRewrite{})...)
	}
	return out, true
}

// applyNginxRouting applies the path-level ingress-nginx settings of an Ingress to the route of one of
// its paths.
func (t *translator) applyNginxRouting(route *istionet.HTTPRoute, p ingressPath, r annotations.NginxRouting) {
	if r.Redirect.URL != nil {
		route.Route, route.DirectResponse = nil, nil
		route.Redirect = urlRedirect(r.Redirect.URL)
		return
	}
	if len(route.Route) == 0 {
		return // a backend that does not resolve: 503
	}
	if rw := r.Rewrite; rw.Target != "" || rw.UpstreamVhost != "" {
		route.Rewrite = &istionet.HTTPRewrite{Authority: rw.UpstreamVhost}
		if rw.Target != "" {
			route.Rewrite.UriRegexRewrite = &istionet.RegexRewrite{Match: rewritePattern(p.path.value), Rewrite: rw.Target}
		}
	}
	if r.Rewrite.XForwardedPrefix != "" {
		route.Headers = &istionet.Headers{Request: &istionet.Headers_HeaderOperations{Set: map[string]string{"X-Forwarded-Prefix": r.Rewrite.XForwardedPrefix}}}
	}
	applyNginxRetries(route, r.Upstream)
	if r.CORS != nil {
		route.CorsPolicy = nginxCORSPolicy(r.CORS)
	}
	svc := nsName{p.ing.Namespace, p.backend.Service.Name}
	for _, d := range route.Route {
		if !t.useIngressSubset(d.Destination, svc, p, r) {
			route.Route, route.DirectResponse = nil, &istionet.HTTPDirectResponse{Status: 503}
			return
		}
	}
}

// applyNginxRetries sets the retries of a route to a backend: those of proxy-next-upstream(-tries),
// else, unless proxy-next-upstream is off, the default retries. ingress-nginx retries by default
// ("error timeout", 3 tries); gatebridge retries what is safe for every method: requests that never
// reached a backend, on other endpoints.
func applyNginxRetries(route *istionet.HTTPRoute, u annotations.NginxUpstream) {
	switch {
	case u.RetryOn != "":
		route.Retries = &istionet.HTTPRetry{Attempts: int32(u.Retries), RetryOn: u.RetryOn}
		if d := u.RetryTimeout; d > 0 {
			route.Timeout = durationpb.New(d)
		}
	case !u.RetriesOff:
		route.Retries = &istionet.HTTPRetry{Attempts: annotations.DefaultRetries, RetryOn: annotations.RetryOnUnsent}
	}
}

// cloneRoute copies a route for a variant (a canary rule, a redirect) under a name with a suffix.
func cloneRoute(route *istionet.HTTPRoute, suffix string) *istionet.HTTPRoute {
	c := proto.Clone(route).(*istionet.HTTPRoute)
	c.Name += "/" + suffix
	return c
}
