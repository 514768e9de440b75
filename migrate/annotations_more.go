package migrate

import (
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

var corsKeys = []string{"enable-cors", "cors-allow-origin", "cors-allow-methods", "cors-allow-headers", "cors-expose-headers", "cors-allow-credentials", "cors-max-age"}

func (b *gwBuilder) mapCORS(p *ingressPlan, done reporter) {
	c := p.settings.Routing.CORS
	if c == nil {
		return
	}
	f := &gwapiv1.HTTPCORSFilter{AllowCredentials: new(c.AllowCredentials), MaxAge: int32(c.MaxAge)}
	for _, o := range c.AllowOrigins {
		f.AllowOrigins = append(f.AllowOrigins, gwapiv1.CORSOrigin(o))
	}
	for _, m := range c.AllowMethods {
		f.AllowMethods = append(f.AllowMethods, gwapiv1.HTTPMethodWithWildcard(strings.ToUpper(m)))
	}
	for _, h := range c.AllowHeaders {
		f.AllowHeaders = append(f.AllowHeaders, gwapiv1.HTTPHeaderName(h))
	}
	for _, h := range c.ExposeHeaders {
		f.ExposeHeaders = append(f.ExposeHeaders, gwapiv1.HTTPHeaderName(h))
	}
	p.eachRule(func(r *pathRule) {
		if !hasRedirect(r.rule) {
			r.rule.Filters = append(r.rule.Filters, gwapiv1.HTTPRouteFilter{Type: gwapiv1.HTTPRouteFilterCORS, CORS: f})
		}
	})
	done(Exact, "%s", []any{"the CORS filter of each rule (Gateway API experimental channel) with the same origins, methods, headers, credentials and max age"}, corsKeys...)
}

func (b *gwBuilder) mapBackend(p *ingressPlan, done reporter) {
	be := p.settings.Routing.Backend
	if be.HTTP2() && !be.TLS() {
		done(Exact, "%s", []any{"HTTP/2 to the backend: each host's item says with which route kind"}, "backend-protocol")
	}
	if be.TLS() {
		b.mapBackendTLS(p, done)
	}
	if p.settings.Routing.Affinity != nil {
		done(Lost, "%s", []any{"cookie affinity: HTTPRoute sessionPersistence (experimental) would carry it, but gatebridge does not serve sessionPersistence yet (it ignores the field with a warning), so none is made: requests are balanced without stickiness"}, "affinity", "session-cookie-name",
			"session-cookie-path", "session-cookie-max-age", "session-cookie-expires", "session-cookie-secure", "session-cookie-samesite", "session-cookie-domain")
	}
}
