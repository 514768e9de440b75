package migrate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/annotations"
)

// retryKeys are the ingress-nginx keys of retries.
var retryKeys = []string{"proxy-next-upstream", "proxy-next-upstream-tries", "proxy-next-upstream-timeout"}

// whyRetryGaps is where an HTTPRoute retry, as gatebridge serves it, differs from nginx's next upstream.
const whyRetryGaps = "gatebridge retries connection errors (connect-failure, refused-stream, reset) with any retry stanza, as the " +
	"specification asks, whether or not proxy-next-upstream names error; every method is retried, POST, LOCK and PATCH too (nginx only " +
	"with non_idempotent); a backend slow to answer is not retried"

// mapRetries carries proxy-next-upstream (with proxy-next-upstream-tries) over to the retry field
// (Gateway API experimental channel) of each rule when its conditions include status codes, and
// proxy-next-upstream-timeout to timeouts.request. proxy-next-upstream-tries alone keeps the fate of
// nginxKeyFates: a retry stanza without codes asks gatebridge for 5xx retries too.
func (b *gwBuilder) mapRetries(p *ingressPlan, done reporter) {
	if _, ok := p.ing.Annotations[np+"proxy-next-upstream"]; !ok || p.invalidKey(np+"proxy-next-upstream") {
		return
	}
	u := p.settings.Routing.Upstream
	var codes []gwapiv1.HTTPRouteRetryStatusCode
	for part := range strings.SplitSeq(u.RetryOn, ",") {
		if c, err := strconv.Atoi(part); err == nil {
			codes = append(codes, gwapiv1.HTTPRouteRetryStatusCode(c))
		}
	}
	switch {
	case u.RetryOn == "":
		done(Exact, "%s", []any{"off: no retry field is made, and routes without one are not retried"}, retryKeys...)
		return
	case u.Retries == 0:
		done(Exact, "%s", []any{"one try: no retry field is made, and routes without one are not retried"}, retryKeys...)
		return
	case len(codes) == 0:
		done(Lost, "connection errors only (%s): HTTPRoute retry (experimental) retries on status codes, 5xx when it names none; add "+
			"retry {attempts: %d, codes: [502, 503, 504]} by hand if that is close enough", []any{u.RetryOn, u.Retries},
			retryKeys...)
		return
	}
	retry := &gwapiv1.HTTPRouteRetry{Attempts: new(u.Retries), Codes: codes}
	var timeouts *gwapiv1.HTTPRouteTimeouts
	if d := u.RetryTimeout; d > 0 {
		timeouts = &gwapiv1.HTTPRouteTimeouts{Request: new(gwapiv1.Duration(fmt.Sprintf("%ds", int(d.Seconds()))))}
	}
	p.eachRule(func(r *pathRule) {
		if !hasRedirect(r.rule) {
			r.rule.Retry, r.rule.Timeouts = retry, timeouts
		}
	})
	done(Approximated, "each rule's retry (Gateway API experimental channel): attempts %d, codes %v; %s", []any{u.Retries, codes, whyRetryGaps},
		"proxy-next-upstream", "proxy-next-upstream-tries")
	if timeouts == nil {
		done(Exact, "%s", []any{"0: no limit, as without it"}, "proxy-next-upstream-timeout")
		return
	}
	done(Approximated, "each rule's timeouts.request (%s): the request with all its tries ends with a timeout error after it, even while a "+
		"backend is still answering, where nginx only stops starting new tries", []any{*timeouts.Request}, "proxy-next-upstream-timeout")
}

// invalidKey reports whether the annotation parser found the value of key unusable.
func (p *ingressPlan) invalidKey(key string) bool {
	return slices.ContainsFunc(p.findings, func(f annotations.Finding) bool { return f.Key == key && f.Kind == annotations.Invalid })
}
