package annotations

import "strings"

// NginxPrefix is the prefix of ingress-nginx's annotations.
const NginxPrefix = "nginx.ingress.kubernetes.io/"

// nginxFamily knows every annotation of ingress-nginx (v1.12 documentation). None is served yet: each
// is reported, so that a migrating user sees exactly what gatebridge ignores.
var nginxFamily = &family{
	name:   "ingress-nginx",
	prefix: NginxPrefix,
	known: keySet(
		"app-root", "affinity", "affinity-mode", "affinity-canary-behavior", "auth-realm", "auth-secret",
		"auth-secret-type", "auth-type", "auth-tls-secret", "auth-tls-verify-depth", "auth-tls-verify-client",
		"auth-tls-error-page", "auth-tls-pass-certificate-to-upstream", "auth-tls-match-cn", "auth-url",
		"auth-cache-key", "auth-cache-duration", "auth-keepalive", "auth-keepalive-share-vars",
		"auth-keepalive-requests", "auth-keepalive-timeout", "auth-proxy-set-headers", "auth-snippet",
		"auth-method", "auth-signin", "auth-signin-redirect-param", "auth-response-headers",
		"auth-request-redirect", "auth-always-set-cookie", "enable-global-auth", "backend-protocol",
		"canary", "canary-by-header", "canary-by-header-value", "canary-by-header-pattern",
		"canary-by-cookie", "canary-weight", "canary-weight-total", "client-body-buffer-size",
		"configuration-snippet", "custom-http-errors", "custom-headers", "default-backend", "enable-cors",
		"cors-allow-origin", "cors-allow-methods", "cors-allow-headers", "cors-expose-headers",
		"cors-allow-credentials", "cors-max-age", "force-ssl-redirect", "from-to-www-redirect",
		"http2-push-preload", "limit-connections", "limit-rps", "limit-rpm", "limit-burst-multiplier",
		"limit-rate-after", "limit-rate", "limit-allowlist", "limit-whitelist", "permanent-redirect",
		"permanent-redirect-code", "temporal-redirect", "temporal-redirect-code", "preserve-trailing-slash",
		"proxy-body-size", "proxy-cookie-domain", "proxy-cookie-path", "proxy-connect-timeout",
		"proxy-send-timeout", "proxy-read-timeout", "proxy-next-upstream", "proxy-next-upstream-timeout",
		"proxy-next-upstream-tries", "proxy-request-buffering", "proxy-redirect-from", "proxy-redirect-to",
		"proxy-http-version", "proxy-ssl-secret", "proxy-ssl-ciphers", "proxy-ssl-name",
		"proxy-ssl-protocols", "proxy-ssl-verify", "proxy-ssl-verify-depth", "proxy-ssl-server-name",
		"enable-rewrite-log", "rewrite-target", "satisfy", "server-alias", "server-snippet",
		"service-upstream", "session-cookie-change-on-failure", "session-cookie-conditional-samesite-none",
		"session-cookie-domain", "session-cookie-expires", "session-cookie-max-age", "session-cookie-name",
		"session-cookie-path", "session-cookie-samesite", "session-cookie-secure", "ssl-redirect",
		"ssl-passthrough", "stream-snippet", "upstream-hash-by", "upstream-hash-by-subset",
		"upstream-hash-by-subset-size", "upstream-vhost", "use-regex", "whitelist-source-range",
		"allowlist-source-range", "denylist-source-range", "x-forwarded-prefix", "load-balance",
		"mirror-uri", "mirror-request-body", "mirror-target", "mirror-host", "modsecurity-snippet",
		"enable-modsecurity", "enable-owasp-core-rules", "modsecurity-transaction-id",
		"enable-access-log", "enable-opentelemetry", "opentelemetry-trust-incoming-span",
		"proxy-buffering", "proxy-buffers-number", "proxy-buffer-size", "proxy-max-temp-file-size",
		"ssl-ciphers", "ssl-prefer-server-ciphers", "connection-proxy-header", "global-rate-limit",
		"global-rate-limit-window", "global-rate-limit-key", "global-rate-limit-ignored-cidrs",
		"server-tokens", "disable-proxy-intercept-errors", "custom-http-errors-cache",
	),
	supported: union(nginxRoutingKeys, nginxPolicyKeys),
	asksNothing: map[string]func(string) bool{
		"whitelist-source-range": allowsEveryAddress,
		"allowlist-source-range": allowsEveryAddress,
	},
}

func union(sets ...map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, s := range sets {
		for k := range s {
			out[k] = true
		}
	}
	return out
}

// allowsEveryAddress reports an allow-list of every address (cert-manager puts one on each of its ACME
// solver Ingresses): it restricts nothing.
func allowsEveryAddress(value string) bool {
	all4, all6 := false, false
	for _, r := range strings.Split(value, ",") {
		switch strings.TrimSpace(r) {
		case "0.0.0.0/0":
			all4 = true
		case "::/0":
			all6 = true
		}
	}
	return all4 && all6
}
