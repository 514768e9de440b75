package annotations

import (
	"regexp"
	"slices"
	"strings"
)

var nginxCanaryKeys = []string{"canary", "canary-weight", "canary-weight-total", "canary-by-header",
	"canary-by-header-value", "canary-by-header-pattern", "canary-by-cookie", "affinity-canary-behavior"}

// NginxCanary makes an Ingress the canary of the Ingress (the primary) that serves the same host and
// path: its backend takes the requests its rules select, in ingress-nginx's order (header, then cookie,
// then weight), and the primary the rest.
type NginxCanary struct {
	Enabled bool
	// Weight of WeightTotal (default 100) requests go to the canary.
	Weight, WeightTotal int
	// Header selects the canary: with HeaderValue when the header has that value, with HeaderPattern
	// (RE2) when it matches, otherwise when it is "always" ("never" selects the primary).
	Header, HeaderValue, HeaderPattern string
	// Cookie selects the canary when the cookie is "always", the primary when it is "never".
	Cookie string
	// LegacyAffinity (affinity-canary-behavior: legacy) leaves the canary's backend without the
	// primary's session affinity.
	LegacyAffinity bool
}

func (p *nginxParser) canary() NginxCanary {
	c := NginxCanary{Enabled: p.bool("canary", false)}
	if !c.Enabled {
		p.unused("needs canary: \"true\"", nginxCanaryKeys[1:]...)
		return c
	}
	c.WeightTotal = p.int("canary-weight-total", 1, 100)
	c.Weight = p.int("canary-weight", 0, 0)
	c.Header, _ = p.value("canary-by-header")
	c.Cookie, _ = p.value("canary-by-cookie")
	c.LegacyAffinity = p.affinityCanaryBehavior(c.Weight > 0 && c.Weight < c.WeightTotal)
	if c.Header == "" {
		p.unused("needs canary-by-header", "canary-by-header-value", "canary-by-header-pattern")
		return c
	}
	c.HeaderValue, _ = p.value("canary-by-header-value")
	pattern, _ := p.value("canary-by-header-pattern")
	switch {
	case pattern == "":
	case c.HeaderValue != "":
		p.invalid("canary-by-header-pattern", "canary-by-header-value takes precedence")
	default:
		if _, err := regexp.Compile(pattern); err != nil {
			p.invalid("canary-by-header-pattern", "%q is not an RE2 regular expression: %v", pattern, err)
		} else {
			c.HeaderPattern = pattern
		}
	}
	return c
}

// affinityCanaryBehavior reads affinity-canary-behavior. When a share of the requests goes to the
// canary by weight, Envoy draws the share for each request: the primary's affinity cookie keeps a
// client on one endpoint of the Service drawn, not on the canary (sticky) nor on the primary (legacy).
func (p *nginxParser) affinityCanaryBehavior(weighted bool) (legacy bool) {
	v, ok := p.value("affinity-canary-behavior")
	switch {
	case !ok:
	case v != "sticky" && v != "legacy":
		p.invalid("affinity-canary-behavior", "%q is not sticky or legacy", v)
	case weighted:
		p.approximated("affinity-canary-behavior", "%s: the canary's share is drawn for each request, so a client with the "+
			"affinity cookie is not kept on the canary nor on the primary (only on one endpoint of the Service drawn)", v)
	}
	return v == "legacy"
}

// nginxCanaryOwnKeys are the keys ingress-nginx reads on a canary Ingress: the canary keys and the
// balancing of the canary's backend (load-balance, upstream-hash-by). It ignores every other key: the
// canary's requests take the primary's settings, and its backend the primary's session affinity
// (affinity-canary-behavior sticky, the default) or none (legacy).
var nginxCanaryOwnKeys = keySet(slices.Concat(nginxCanaryKeys, nginxLoadBalanceKeys)...)

// ignoredOnCanary replaces the findings of a canary Ingress's keys that ingress-nginx ignores (they
// would say how a setting is served, and it is not) with one Ignored finding per key.
func ignoredOnCanary(annotations map[string]string, findings []Finding) []Finding {
	ignored := func(key string) bool {
		name, ok := strings.CutPrefix(key, NginxPrefix)
		return ok && nginxFamily.known[name] && !nginxCanaryOwnKeys[name]
	}
	findings = slices.DeleteFunc(findings, func(f Finding) bool { return ignored(f.Key) })
	for key := range annotations {
		if !ignored(key) {
			continue
		}
		why := "the canary's requests take the primary Ingress's settings; only the canary keys, load-balance and upstream-hash-by are the canary's own"
		if slices.Contains(nginxAffinityKeys, strings.TrimPrefix(key, NginxPrefix)) {
			why = "the canary's backend takes the primary's session affinity (affinity-canary-behavior sticky, the default) or none (legacy)"
		}
		findings = append(findings, Finding{Key: key, Kind: Ignored, Message: "not used on a canary Ingress, as in ingress-nginx: " + why})
	}
	return findings
}
