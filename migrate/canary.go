package migrate

import (
	"cmp"
	"regexp"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

var canaryKeys = []string{"canary", "canary-weight", "canary-weight-total", "canary-by-header", "canary-by-header-value", "canary-by-header-pattern", "canary-by-cookie"}

// mergeCanary carries a canary Ingress's path into the rule of its primary: weights on the primary's
// backendRefs, and rules with a header match (or a Cookie header match) that send to the canary.
func mergeCanary(owner *ingressPlan, primary *pathRule, canary *ingressPlan, cr *pathRule) {
	c := canary.settings.Routing.Canary
	if canary.ing.Namespace != owner.ing.Namespace {
		canary.item(cr.subject, Lost, cr.host, "the canary's Service is in another namespace than its primary %s: its route cannot send there without a ReferenceGrant; not carried over", owner.ref)
		return
	}
	backend := cr.rule.BackendRefs
	canary.report.Outputs = append(canary.report.Outputs, "HTTPRoute/"+owner.ing.Namespace+"/"+owner.routeName(primary.host))
	selector := func(h gwapiv1.HTTPHeaderMatch) {
		rule := primary.rule
		rule.Matches = nil
		for _, m := range primary.rule.Matches {
			m.Headers = append(append([]gwapiv1.HTTPHeaderMatch(nil), m.Headers...), h)
			rule.Matches = append(rule.Matches, m)
		}
		rule.BackendRefs = backend
		owner.paths[primary.host] = append(owner.paths[primary.host], &pathRule{subject: cr.subject, host: primary.host, key: primary.key + " canary", rule: rule})
	}
	if c.Header != "" {
		typ, value := gwapiv1.HeaderMatchExact, cmp.Or(c.HeaderValue, "always")
		if c.HeaderPattern != "" {
			typ, value = gwapiv1.HeaderMatchRegularExpression, c.HeaderPattern
		}
		selector(gwapiv1.HTTPHeaderMatch{Type: &typ, Name: gwapiv1.HTTPHeaderName(c.Header), Value: value})
		outcome, msg := Exact, "requests with header %s: %s go to the canary (a rule of the primary's HTTPRoute with a header match)"
		if c.HeaderValue == "" && c.HeaderPattern == "" && c.Weight > 0 {
			outcome, msg = Approximated, "requests with header %s: %s go to the canary; \"never\" no longer keeps a request off the weighted share"
		}
		canary.item(np+"canary-by-header", outcome, cr.host, msg, c.Header, value)
	}
	if c.Cookie != "" {
		typ := gwapiv1.HeaderMatchRegularExpression
		selector(gwapiv1.HTTPHeaderMatch{Type: &typ, Name: "Cookie", Value: `(.*;\s*)?` + regexp.QuoteMeta(c.Cookie) + `=always(;.*)?`})
		canary.item(np+"canary-by-cookie", Approximated, cr.host, "cookie %s=always sends to the canary: a regular expression on the Cookie header (Gateway API has no cookie match); \"never\" is not honoured", c.Cookie)
	}
	if c.Weight > 0 {
		total := max(c.WeightTotal, c.Weight)
		for i := range primary.rule.BackendRefs {
			primary.rule.BackendRefs[i].Weight = new(int32(total - c.Weight))
		}
		for _, b := range backend {
			b.Weight = new(int32(c.Weight))
			primary.rule.BackendRefs = append(primary.rule.BackendRefs, b)
		}
		canary.item(np+"canary-weight", Exact, cr.host, "%d of %d requests go to the canary: backendRef weights on the primary's rule", c.Weight, total)
	}
	canary.item(np+"canary", Exact, cr.host, "merged into the HTTPRoute of its primary %s", owner.ref)
}
