package migrate

import (
	"maps"
	"slices"
	"strings"

	"github.com/gatebridge/gatebridge/annotations"
)

// keyFate is what becomes of an ingress-nginx annotation that no mapping of this package carries over.
type keyFate struct {
	outcome Outcome
	why     string
}

// Reasons shared by several keys.
const (
	whySnippet   = "raw nginx configuration has no equivalent: do what it does with HTTPRoute filters (headers, redirects) or a RoutePolicy"
	whyBuffering = "nginx buffer tuning: Envoy streams bodies and takes headers up to 60 KiB without it; nothing to carry over"
	whyWAF       = "ModSecurity has no Gateway API equivalent: put a WAF in front of the Gateway or use the implementation's own"
	whyTelemetry = "access logs and tracing are configured on the gateway implementation, not per route"
	whyClientTLS = "client certificate validation is Gateway-wide in Gateway API (spec.tls.frontend.perPort), not per host: set it by hand"
	whyHash      = "consistent hashing has no Gateway API field: sessionPersistence covers cookie and header stickiness only"
	whyNotYet    = "not carried over by this version of gatebridge migrate; "
	whyGlobalRL  = "global (shared memcached) rate limits have no Gateway API equivalent"
)

// nginxKeyFates covers the ingress-nginx annotations this package has no mapping for. A known key missing
// from here and from the mappings is reported as lost with a generic reason.
var nginxKeyFates = map[string]keyFate{
	"configuration-snippet": {Lost, whySnippet}, "server-snippet": {Lost, whySnippet}, "auth-snippet": {Lost, whySnippet},
	"stream-snippet": {Lost, whySnippet}, "modsecurity-snippet": {Lost, whyWAF},
	"enable-modsecurity": {Lost, whyWAF}, "enable-owasp-core-rules": {Lost, whyWAF}, "modsecurity-transaction-id": {Lost, whyWAF},
	"enable-access-log": {Lost, whyTelemetry}, "enable-rewrite-log": {Exact, "nginx debug logging; nothing to carry over"},
	"enable-opentelemetry": {Lost, whyTelemetry}, "opentelemetry-trust-incoming-span": {Lost, whyTelemetry},
	"proxy-buffering": {Exact, whyBuffering}, "proxy-buffers-number": {Exact, whyBuffering}, "proxy-buffer-size": {Exact, whyBuffering},
	"proxy-max-temp-file-size": {Exact, whyBuffering}, "proxy-request-buffering": {Exact, whyBuffering},
	"client-body-buffer-size":   {Exact, whyBuffering},
	"http2-push-preload":        {Lost, "HTTP/2 server push has no Gateway API equivalent (and browsers dropped it)"},
	"server-tokens":             {Lost, "the Server response header is the implementation's"},
	"ssl-ciphers":               {Lost, "TLS ciphers are a listener option of the implementation (listener tls.options): set them on the Gateway by hand"},
	"ssl-prefer-server-ciphers": {Lost, "TLS cipher preference is a listener option of the implementation: set it on the Gateway by hand"},
	"auth-tls-secret":           {Lost, whyClientTLS}, "auth-tls-verify-depth": {Lost, whyClientTLS}, "auth-tls-verify-client": {Lost, whyClientTLS},
	"auth-tls-error-page": {Lost, whyClientTLS}, "auth-tls-pass-certificate-to-upstream": {Lost, whyClientTLS},
	"auth-tls-match-cn": {Lost, whyClientTLS},
	"limit-connections": {Lost, "connection limits per client have no Gateway API or RoutePolicy field"},
	"limit-rate":        {Lost, "response bandwidth limits have no Gateway API or RoutePolicy field"},
	"limit-rate-after":  {Lost, "response bandwidth limits have no Gateway API or RoutePolicy field"},
	"global-rate-limit": {Lost, whyGlobalRL}, "global-rate-limit-window": {Lost, whyGlobalRL},
	"global-rate-limit-key": {Lost, whyGlobalRL}, "global-rate-limit-ignored-cidrs": {Lost, whyGlobalRL},
	"mirror-uri":              {Exact, "ingress-nginx no longer reads it: nothing to carry over"},
	"proxy-cookie-domain":     {Lost, "rewriting Set-Cookie domains has no Gateway API field"},
	"proxy-cookie-path":       {Lost, "rewriting Set-Cookie paths has no Gateway API field"},
	"proxy-redirect-from":     {Lost, "rewriting the Location of backend redirects has no Gateway API field"},
	"proxy-redirect-to":       {Lost, "rewriting the Location of backend redirects has no Gateway API field"},
	"custom-headers":          {Lost, "response headers from a ConfigMap: migrate does not read ConfigMaps; add a ResponseHeaderModifier filter with them"},
	"connection-proxy-header": {Lost, "the Connection header sent upstream is the implementation's"},
	"load-balance": {Lost, "no Gateway API field chooses the load-balancing algorithm: the migrated routes are balanced as the implementation does " +
		"(gatebridge: round robin); ewma has no standard equivalent"},
	"upstream-hash-by": {Lost, whyHash}, "upstream-hash-by-subset": {Lost, whyHash}, "upstream-hash-by-subset-size": {Lost, whyHash},
	"service-upstream":            {Approximated, "ingress-nginx sent to the Service's cluster IP; Gateway API implementations send to its endpoints (same backends, their own balancing)"},
	"preserve-trailing-slash":     {Lost, "only affects ingress-nginx's own redirects"},
	"proxy-http-version":          {Lost, "the HTTP version spoken upstream follows the Service port's appProtocol"},
	"proxy-next-upstream":         {Lost, "not usable (see the annotation's finding): no retry is made"},
	"proxy-next-upstream-timeout": {Lost, "without proxy-next-upstream status codes no retry is made, so there are no tries to bound (timeouts.request would also end slow answers)"},
	"proxy-connect-timeout": {Lost, "the time to connect to a backend: Gateway API has no field for it (HTTPRoute timeouts.request and backendRequest bound the whole exchange, " +
		"answer included, not the connection) and RoutePolicy has none; the migrated routes connect within the implementation's own limit (gatebridge: 5 s, ingress-nginx's default too)"},
	"proxy-next-upstream-tries": {Lost, "retries on connection errors: HTTPRoute retry (experimental) retries on response status codes (attempts, codes, backoff), not on " +
		"nginx's \"error timeout\" conditions, so it is not made; add retry.attempts (tries - 1) with codes 502, 503, 504 by hand if that is close enough"},
	"satisfy":        {Lost, "\"any\" (either the address allow-list or authentication) has no RoutePolicy equivalent: both apply"},
	"auth-cache-key": {Lost, "external auth responses are not cached"}, "auth-cache-duration": {Lost, "external auth responses are not cached"},
	"auth-keepalive":                           {Exact, "connection reuse to the auth service is the implementation's"},
	"auth-keepalive-share-vars":                {Exact, "connection reuse to the auth service is the implementation's"},
	"auth-keepalive-requests":                  {Exact, "connection reuse to the auth service is the implementation's"},
	"auth-keepalive-timeout":                   {Exact, "connection reuse to the auth service is the implementation's"},
	"auth-proxy-set-headers":                   {Lost, "headers from a ConfigMap sent to the auth service: migrate does not read ConfigMaps"},
	"auth-always-set-cookie":                   {Lost, "no Gateway API field"},
	"enable-global-auth":                       {Exact, "the global auth-url of ingress-nginx's ConfigMap is not migrated; this key only turns it off"},
	"session-cookie-change-on-failure":         {Lost, "no sessionPersistence field"},
	"session-cookie-conditional-samesite-none": {Lost, "no sessionPersistence field"},
	"affinity-mode":                            {Lost, "no sessionPersistence field: sessions are kept as balanced"},
	"affinity-canary-behavior":                 {Lost, "no sessionPersistence field"},
	"disable-proxy-intercept-errors":           {Exact, "the backend's error pages are passed through"},
	"custom-http-errors-cache":                 {Lost, "no equivalent"},
}

// reportUnmappedKeys reports every ingress-nginx annotation of p that no mapping reported.
func reportUnmappedKeys(p *ingressPlan, mapped map[string]bool) {
	for _, key := range slices.Sorted(maps.Keys(p.ing.Annotations)) {
		name, ok := strings.CutPrefix(key, annotations.NginxPrefix)
		if !ok || mapped[name] {
			continue
		}
		if f, ok := nginxKeyFates[name]; ok {
			p.item(key, f.outcome, "", "%s", f.why)
			continue
		}
		if p.unknownKey(key) {
			p.item(key, Lost, "", "not an ingress-nginx annotation: ingress-nginx ignored it too")
			continue
		}
		p.item(key, Lost, "", "%s", whyNotYet+"see docs/migrate.md for what to write by hand")
	}
}

// unknownKey reports whether the annotation parser found key not to be an annotation of ingress-nginx.
func (p *ingressPlan) unknownKey(key string) bool {
	return slices.ContainsFunc(p.findings, func(f annotations.Finding) bool { return f.Key == key && f.Kind == annotations.Unknown })
}
