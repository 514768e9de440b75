package migrate

import (
	"fmt"
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
		b.mapAffinity(p, done)
	}
}

// whyAffinity is why the session affinity keys are lost.
const whyAffinity = "ingress-nginx pins each client to one endpoint with a cookie it sets (affinity: cookie); the Gateway API field for it is HTTPRoute " +
	"sessionPersistence (experimental), which gatebridge does not serve yet (it ignores the field with a warning), so migrate does not make it: " +
	"requests are balanced over the endpoints without stickiness and no cookie is set"

// mapAffinity reports the session affinity keys, each with the sessionPersistence field that would carry it.
func (b *gwBuilder) mapAffinity(p *ingressPlan, done reporter) {
	a := p.settings.Routing.Affinity
	done(Lost, "%s", []any{whyAffinity}, "affinity", "affinity-mode")
	for _, k := range []struct{ key, field string }{
		{"session-cookie-name", fmt.Sprintf("sessionPersistence.sessionName (%s)", a.CookieName)},
		{"session-cookie-max-age", "sessionPersistence.absoluteTimeout with cookieConfig.lifetimeType Permanent"},
		{"session-cookie-expires", "sessionPersistence.absoluteTimeout with cookieConfig.lifetimeType Permanent"},
		{"session-cookie-path", "no sessionPersistence field (the implementation picks the cookie's path)"},
		{"session-cookie-domain", "no sessionPersistence field (the implementation picks the cookie's domain)"},
		{"session-cookie-secure", "no sessionPersistence field (the implementation picks the cookie's attributes)"},
		{"session-cookie-samesite", "no sessionPersistence field (the implementation picks the cookie's attributes)"},
	} {
		done(Lost, "a setting of the affinity cookie, which is not made (see affinity); sessionPersistence would carry it as %s", []any{k.field}, k.key)
	}
}
