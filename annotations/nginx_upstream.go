package annotations

import (
	"time"
)

var nginxUpstreamKeys = []string{"proxy-connect-timeout", "proxy-next-upstream-tries"}

// NginxUpstream is how connections and retries to the backends behave.
type NginxUpstream struct {
	// ConnectTimeout bounds the connection to a backend (0: Envoy's default).
	ConnectTimeout time.Duration
	// Retries is proxy-next-upstream-tries less the first try (0: none).
	Retries int
	// RetryOn is Envoy's retry_on for Retries.
	RetryOn string
}

// RetryOnErrors approximates nginx's default proxy_next_upstream "error timeout" in Envoy's terms.
const RetryOnErrors = "connect-failure,refused-stream,reset"

func (p *nginxParser) upstream() NginxUpstream {
	var u NginxUpstream
	if secs := p.int("proxy-connect-timeout", 1, 0); secs > 0 {
		u.ConnectTimeout = time.Duration(secs) * time.Second
	}
	if tries := p.int("proxy-next-upstream-tries", 1, 0); tries > 0 {
		u.Retries, u.RetryOn = tries-1, RetryOnErrors
		p.approximated("proxy-next-upstream-tries", "%d tries: Envoy retries %d times on %s (nginx's default "+
			"proxy-next-upstream is \"error timeout\"), also for non-idempotent requests", tries, tries-1, RetryOnErrors)
	}
	return u
}
