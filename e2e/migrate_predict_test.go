package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/migrate"
)

// effect is a kind of difference a setting can make to the answers of the round trip.
type effect string

const (
	// routes: which rule answers and how: status, backend, the path it sees, a redirect.
	routes effect = "routes"
	// refusal: the proxy answers an error itself instead of the backend (a policy, a failed TLS or auth).
	refusal effect = "refusal"
	// upstream: the protocol spoken to the backend.
	upstream effect = "upstream protocol"
	// corsHeaders: the CORS response headers.
	corsHeaders effect = "CORS headers"
)

// keyEffects are the effects each ingress-nginx key (without prefix) can have on the probes. A key that
// is not listed can change routing or refuse requests, nothing else; a key listed without effects makes
// no difference the probes can see (the cookie of session affinity, headers sent upstream, timeouts
// longer than a probe).
var keyEffects = map[string][]effect{
	"enable-cors": {corsHeaders}, "cors-allow-origin": {corsHeaders}, "cors-allow-methods": {corsHeaders}, "cors-allow-headers": {corsHeaders},
	"cors-expose-headers": {corsHeaders}, "cors-allow-credentials": {corsHeaders}, "cors-max-age": {corsHeaders},
	"backend-protocol": {routes, refusal, upstream}, "proxy-ssl-secret": {refusal, upstream}, "proxy-ssl-verify": {refusal, upstream},
	"proxy-ssl-name": {refusal, upstream}, "proxy-ssl-server-name": {refusal, upstream},
	"whitelist-source-range": {refusal}, "allowlist-source-range": {refusal}, "denylist-source-range": {refusal},
	"limit-rps": {refusal}, "limit-rpm": {refusal}, "limit-burst-multiplier": {refusal}, "limit-allowlist": {refusal}, "limit-whitelist": {refusal},
	"auth-type": {refusal}, "auth-secret": {refusal}, "auth-secret-type": {refusal}, "auth-realm": {refusal},
	"auth-url": {refusal}, "auth-signin": {refusal, routes}, "auth-response-headers": {}, "proxy-body-size": {refusal},
	"proxy-connect-timeout": {refusal}, "proxy-read-timeout": {}, "proxy-send-timeout": {},
	"affinity": {}, "affinity-mode": {}, "session-cookie-name": {}, "session-cookie-path": {}, "session-cookie-max-age": {},
	"session-cookie-expires": {}, "session-cookie-secure": {}, "session-cookie-samesite": {}, "session-cookie-domain": {},
	"service-upstream": {}, "upstream-vhost": {}, "x-forwarded-prefix": {}, "load-balance": {}, "upstream-hash-by": {},
	"proxy-buffering": {}, "proxy-buffer-size": {}, "proxy-request-buffering": {}, "configuration-snippet": {}, "server-snippet": {},
	"mirror-target": {}, "mirror-uri": {}, "mirror-host": {}, "mirror-request-body": {},
}

// subjectEffects are the effects of a report item's subject: a key, or a field of the Ingress.
func subjectEffects(subject string) []effect {
	if key, ok := strings.CutPrefix(subject, annotations.NginxPrefix); ok {
		if e, ok := keyEffects[key]; ok {
			return e
		}
	}
	return []effect{routes, refusal}
}

// needed are the effects that could make the difference between two answers.
func needed(before, after answer) []effect {
	b, a := before, after
	b.corsOrigin, a.corsOrigin = "", ""
	if b == a {
		return []effect{corsHeaders}
	}
	b.proto, a.proto = "", ""
	if b == a {
		return []effect{upstream}
	}
	out := []effect{routes}
	if refused(before) || refused(after) {
		out = append(out, refusal, upstream)
	}
	return out
}

// refused says whether the proxy answered an error itself: no backend, not a 404 nor a redirect.
func refused(a answer) bool {
	return a.err || a.backend == "" && a.code >= 400 && a.code != http.StatusNotFound
}

var nginxKey = regexp.MustCompile(regexp.QuoteMeta(annotations.NginxPrefix) + `[a-z0-9-]+`)

// predicts says why the difference between two answers to a probe is expected: an item the report
// declares approximated or lost, of a setting that answers the probe on either side, whose key can
// make this kind of difference; or an annotation gatebridge does not serve for such an Ingress (then the
// Ingress side is not what ingress-nginx would do). "" when nothing predicts it.
func (rt *corpusTrip) predicts(p probe, before, after answer, o owners) string {
	want := needed(before, after)
	can := func(subject string) bool {
		for _, e := range subjectEffects(subject) {
			for _, w := range want {
				if e == w {
					return true
				}
			}
		}
		return false
	}
	for _, s := range o.all() {
		r := rt.result.Report.Object(migrate.Ref{Kind: "Ingress", Namespace: s.ing.Namespace, Name: s.ing.Name})
		if r == nil {
			continue
		}
		for _, outcome := range []migrate.Outcome{migrate.Lost, migrate.Approximated} { // what is lost explains more
			for _, it := range r.Items {
				switch {
				case it.Outcome != outcome, it.Host != "" && it.Host != p.ruleHost:
				case strings.Contains(it.Subject, ".http.paths[") && it.Subject != s.what: // another path of the Ingress
				case can(it.Subject):
					return fmt.Sprintf("%s answers it; the report says %s %s: %s", s, it.Subject, it.Outcome, it.Message)
				}
			}
		}
		for _, gap := range rt.gaps[s.ing.Namespace+"/"+s.ing.Name] {
			if key := nginxKey.FindString(gap); key != "" && can(key) {
				return fmt.Sprintf("%s answers it; reference gap: %s", s, gap)
			}
		}
	}
	return ""
}
