package annotations

import (
	"slices"
	"strings"
	"time"
)

var nginxUpstreamKeys = []string{"proxy-connect-timeout", "proxy-next-upstream", "proxy-next-upstream-tries", "proxy-next-upstream-timeout"}

// NginxUpstream is how connections and retries to the backends behave.
type NginxUpstream struct {
	// ConnectTimeout bounds the connection to a backend (0: Envoy's default).
	ConnectTimeout time.Duration
	// Retries is proxy-next-upstream-tries less the first try (0: none).
	Retries int
	// RetryOn is Envoy's retry_on for Retries: conditions and status codes, comma-separated.
	RetryOn string
	// RetryTimeout bounds a request with all its tries (proxy-next-upstream-timeout); 0: no bound.
	RetryTimeout time.Duration
	// RetriesOff is proxy-next-upstream: off. Without it, an Ingress that asks for no retries
	// (RetryOn empty) gets the default retries of RetryOnUnsent.
	RetriesOff bool
}

// RetryOnErrors approximates nginx's default proxy_next_upstream "error timeout" in Envoy's terms.
const RetryOnErrors = "connect-failure,refused-stream,reset"

// RetryOnUnsent are the conditions of the default retries of an Ingress without proxy-next-upstream
// and proxy-next-upstream-tries: the request never reached the backend (the connection failed or timed
// out; an HTTP/2 backend refused the stream), so a retry is safe whatever the method, where nginx's
// default "error timeout" retries only idempotent requests, but after any error.
const RetryOnUnsent = "connect-failure,refused-stream"

// DefaultRetries is how many times the default retries retry: ingress-nginx's 3 tries less the first.
const DefaultRetries = defaultNginxTries - 1

// defaultNginxTries is ingress-nginx's proxy-next-upstream-tries when proxy-next-upstream is set alone.
const defaultNginxTries = 3

// nextUpstreamCodes are the status codes proxy-next-upstream may retry on (http_<code>).
var nextUpstreamCodes = []string{"403", "404", "429", "500", "502", "503", "504"}

func (p *nginxParser) upstream() NginxUpstream {
	var u NginxUpstream
	if secs := p.int("proxy-connect-timeout", 1, 0); secs > 0 {
		u.ConnectTimeout = time.Duration(secs) * time.Second
	}
	next, ok := p.nextUpstream()
	switch {
	case !ok:
		if tries := p.int("proxy-next-upstream-tries", 1, 0); tries > 0 {
			u.Retries, u.RetryOn = tries-1, RetryOnErrors
			p.approximated("proxy-next-upstream-tries", "%d tries: Envoy retries %d times on %s (nginx's default "+
				"proxy-next-upstream is \"error timeout\"), also for non-idempotent requests", tries, tries-1, RetryOnErrors)
		}
	case next.retryOn == "":
		u.RetriesOff = true
		return u // off: the tries and their timeout have no effect, as in nginx
	default:
		u.Retries, u.RetryOn = p.int("proxy-next-upstream-tries", 1, defaultNginxTries)-1, next.retryOn
		if gaps := next.gaps(); len(gaps) > 0 {
			p.approximated("proxy-next-upstream", "Envoy retries on %s: %s", next.retryOn, strings.Join(gaps, "; "))
		}
	}
	if secs := p.int("proxy-next-upstream-timeout", 0, 0); secs > 0 {
		if u.Retries == 0 {
			p.invalid("proxy-next-upstream-timeout", "no retries are asked (gatebridge bounds only the retries of proxy-next-upstream "+
				"or proxy-next-upstream-tries above 1, not its default retries of requests that never reached a backend)")
			return u
		}
		u.RetryTimeout = time.Duration(secs) * time.Second
		p.approximated("proxy-next-upstream-timeout", "served as the route's timeout: after %d s the request, with all "+
			"its tries, ends with 504 even while a backend is still answering, where nginx only stops starting new tries", secs)
	}
	return u
}

// nextUpstream is a parsed proxy-next-upstream.
type nextUpstream struct {
	retryOn       string
	timeout       bool // "timeout" was asked: Envoy retries failed connections only
	invalidHeader bool // "invalid_header" was asked: Envoy retries every reset
	nonIdempotent bool
}

// gaps says where Envoy's retries differ from nginx's.
func (n nextUpstream) gaps() []string {
	var out []string
	if n.timeout {
		out = append(out, "timeout retries connections that time out, not a backend that is slow to answer")
	}
	if n.invalidHeader {
		out = append(out, "invalid_header retries every reset or closed stream")
	}
	if !n.nonIdempotent {
		out = append(out, "non-idempotent requests (POST, LOCK, PATCH) are retried too, as with non_idempotent")
	}
	return out
}

// nextUpstream reads proxy-next-upstream; ok is false when it is not set or not usable.
func (p *nginxParser) nextUpstream() (nextUpstream, bool) {
	v, ok := p.value("proxy-next-upstream")
	if !ok {
		return nextUpstream{}, false
	}
	var n nextUpstream
	var conds, codes []string
	off := false
	for _, word := range strings.Fields(v) {
		code, isCode := strings.CutPrefix(word, "http_")
		switch {
		case word == "off":
			off = true
		case word == "error":
			conds = append(conds, strings.Split(RetryOnErrors, ",")...)
		case word == "timeout":
			n.timeout, conds = true, append(conds, "connect-failure")
		case word == "invalid_header":
			n.invalidHeader, conds = true, append(conds, "reset")
		case word == "non_idempotent":
			n.nonIdempotent = true
		case isCode && slices.Contains(nextUpstreamCodes, code):
			codes = append(codes, code)
		default:
			p.invalid("proxy-next-upstream", "%q is not one of error, timeout, invalid_header, http_<%s>, non_idempotent, off",
				word, strings.Join(nextUpstreamCodes, "|"))
			return nextUpstream{}, false
		}
	}
	if len(conds)+len(codes) == 0 && !off {
		p.invalid("proxy-next-upstream", "%q names no condition", v)
		return nextUpstream{}, false
	}
	if !off {
		slices.Sort(conds)
		slices.Sort(codes)
		n.retryOn = strings.Join(append(slices.Compact(conds), slices.Compact(codes)...), ",")
	}
	return n, true
}
