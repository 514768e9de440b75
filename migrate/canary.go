package migrate

import (
	"cmp"
	"regexp"
	"slices"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

var canaryKeys = []string{"canary", "canary-weight", "canary-weight-total", "canary-by-header", "canary-by-header-value", "canary-by-header-pattern", "canary-by-cookie"}

// canaryOwnKeys are the keys, besides the canary ones, that ingress-nginx reads on a canary Ingress: the
// balancing of the canary's upstream, and affinity-canary-behavior. Every other key of a canary is
// ignored: its requests take the settings of the primary Ingress, and its backend the primary's session
// affinity (sticky, the default) or none (legacy), never its own affinity keys.
var canaryOwnKeys = []string{"load-balance", "upstream-hash-by", "upstream-hash-by-subset", "upstream-hash-by-subset-size", "affinity-canary-behavior"}

// planCanary reads a canary Ingress: its paths (each joins the primary's path with the same host and
// path, in mergeCanaries) and its annotations. Its default backend is not served, as gatebridge serves a
// canary.
func (b *gwBuilder) planCanary(p *ingressPlan) {
	b.planPaths(p)
	if p.ing.Spec.DefaultBackend != nil {
		p.item("spec.defaultBackend", Exact, "", "not served for a canary Ingress, as gatebridge serves it: a canary only offers another backend for its primary's paths")
	}
	mapped := map[string]bool{}
	for _, k := range canaryKeys {
		mapped[k] = true // reported when merged into the primary
	}
	for k := range p.ing.Annotations {
		name, ok := strings.CutPrefix(k, np)
		if !ok || mapped[name] || slices.Contains(canaryOwnKeys, name) || p.unknownKey(k) {
			continue
		}
		mapped[name] = true
		why := "a canary takes every setting but the canary keys and its balancing (load-balance, upstream-hash-by) from its primary; " +
			"the canary's backend joins the primary's rules, with their filters and RoutePolicy"
		if strings.HasPrefix(name, "session-cookie-") || name == "affinity" || name == "affinity-mode" {
			why = "the canary's backend takes its primary's session affinity (affinity-canary-behavior sticky, the default) or none (legacy), never its own"
		}
		p.item(k, Exact, "", "ignored on a canary Ingress, as ingress-nginx and gatebridge ignore it: %s", why)
	}
	reportUnmappedKeys(p, mapped)
}

// mergeCanaries joins each path of the canary Ingresses (oldest first) to the rule of the primary path
// with the same host and path. A canary path without a primary is not served; one primary path takes
// one canary, the oldest.
func (b *gwBuilder) mergeCanaries(plans []*ingressPlan, byPath map[string]*pathRule) {
	for _, p := range plans {
		if !p.settings.Routing.Canary.Enabled {
			continue
		}
		for _, h := range p.hosts {
			for _, cr := range p.paths[h] {
				primary := byPath[h+" "+cr.path]
				switch {
				case primary == nil:
					p.item(cr.subject, Exact, h, "no primary Ingress of the class serves host %q path %q: not served, as ingress-nginx and gatebridge leave such a canary path out", h, cr.path)
				case primary.canary != nil:
					p.item(cr.subject, Exact, h, "the path already has the canary %s (older): left out, as ingress-nginx takes one canary per path", primary.canary.ref)
				case len(primary.rule.BackendRefs) == 0:
					p.item(cr.subject, Exact, h, "the primary %s answers this path itself (a redirect): the canary is not used, as under ingress-nginx", primary.owner.ref)
				default:
					primary.canary = p
					b.mergeCanary(primary.owner, primary, p, cr)
				}
			}
			p.paths[h] = nil
		}
	}
}

// mergeCanary carries a canary Ingress's path into the rule of its primary: weights on the primary's
// backendRefs, and rules with a header match (or a Cookie header match) that send to the canary.
func (b *gwBuilder) mergeCanary(owner *ingressPlan, primary *pathRule, canary *ingressPlan, cr *pathRule) {
	c := canary.settings.Routing.Canary
	if canary.ing.Namespace != owner.ing.Namespace {
		canary.item(cr.subject, Lost, cr.host, "the canary's Service is in another namespace than its primary %s: its route cannot send there without a ReferenceGrant; not carried over", owner.ref)
		return
	}
	backend := cr.rule.BackendRefs
	b.canaryBackendTLS(owner, canary, cr)
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

// canaryBackendTLS gives the canary's Service the BackendTLSPolicy of its primary's backends: the canary
// inherits the primary's backend-protocol and proxy-ssl-* (its own are ignored).
func (b *gwBuilder) canaryBackendTLS(owner, canary *ingressPlan, cr *pathRule) {
	if owner.proxySSL == nil {
		return
	}
	for _, t := range b.backendTargets(canary.ing.Namespace, cr.rule.BackendRefs) {
		if name, ok := b.claimBackendTLS(canary, t, *owner.proxySSL); ok {
			canary.item(np+"canary", Exact, cr.host, "the canary's Service %s gets BackendTLSPolicy %s, verified as its primary %s verifies its backends (a canary takes the primary's backend-protocol and proxy-ssl-*)",
				t.service, name, owner.ref)
		}
	}
}
