package annotations

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// nginxRoutingKeys are the ingress-nginx keys (without prefix) served through the Istio networking API:
// VirtualService routes and DestinationRules. Each family file lists its own.
var nginxRoutingKeys = keySet(slices.Concat(nginxRewriteKeys, nginxRedirectKeys, nginxBackendKeys,
	nginxUpstreamKeys, nginxCanaryKeys, nginxCORSKeys, nginxAffinityKeys, nginxLoadBalanceKeys, nginxHostKeys, nginxMirrorKeys)...)

// NginxRouting holds the ingress-nginx settings of one Ingress that the Istio networking API expresses.
// The zero value is ingress-nginx's default for every setting.
type NginxRouting struct {
	Rewrite  NginxRewrite
	Redirect NginxRedirect
	Backend  NginxBackend
	Upstream NginxUpstream
	Canary   NginxCanary
	// CORS is set when enable-cors is "true".
	CORS *NginxCORS
	// Affinity is set when affinity is "cookie", never on a canary.
	Affinity *NginxAffinity
	// LoadBalance is load-balance and upstream-hash-by (unused with Affinity). On a canary, it is the
	// balancing of the canary's backend when the primary has no affinity (or affinity-canary-behavior
	// is legacy).
	LoadBalance NginxLoadBalance
	Hosts       NginxHosts
	// Mirror is set when mirror-target names a usable URL.
	Mirror *NginxMirror
}

// parseNginxRouting reads the routing keys of an Ingress's annotations, appending a finding for each
// value that cannot be used.
func parseNginxRouting(annotations map[string]string, findings []Finding) (NginxRouting, []Finding) {
	p := &nginxParser{annotations: annotations}
	r := NginxRouting{
		Rewrite:  p.rewrite(),
		Redirect: p.redirect(),
		Backend:  p.backend(),
		Upstream: p.upstream(),
		Canary:   p.canary(),
		CORS:     p.cors(),
		Affinity: p.affinity(),
		Hosts:    p.hosts(),
		Mirror:   p.mirror(),
	}
	if r.Canary.Enabled {
		r.Affinity = nil // a canary takes its primary's (nginx_canary.go)
	}
	r.LoadBalance = p.loadBalance(r.Affinity != nil)
	return r, append(findings, p.findings...)
}

// nginxParser reads ingress-nginx annotations by name (without prefix) and collects findings.
type nginxParser struct {
	annotations map[string]string
	findings    []Finding
}

// value returns the trimmed value of a key and whether it is set.
func (p *nginxParser) value(name string) (string, bool) {
	v, ok := p.annotations[NginxPrefix+name]
	return strings.TrimSpace(v), ok
}

func (p *nginxParser) has(name string) bool {
	_, ok := p.annotations[NginxPrefix+name]
	return ok
}

func (p *nginxParser) invalid(name, format string, args ...any) {
	p.findings = append(p.findings, Finding{Key: NginxPrefix + name, Kind: Invalid, Message: fmt.Sprintf(format, args...) + "; it has no effect"})
}

func (p *nginxParser) approximated(name, format string, args ...any) {
	p.findings = append(p.findings, Finding{Key: NginxPrefix + name, Kind: Approximated, Message: fmt.Sprintf(format, args...)})
}

// bool reads a boolean key; an unset or unusable value gives def.
func (p *nginxParser) bool(name string, def bool) bool {
	v, ok := p.value(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.invalid(name, "%q is not true or false", v)
		return def
	}
	return b
}

// int reads an integer key of at least lowest; an unset or unusable value gives def.
func (p *nginxParser) int(name string, lowest, def int) int {
	v, ok := p.value(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lowest {
		p.invalid(name, "%q is not an integer of at least %d", v, lowest)
		return def
	}
	return n
}

// onOff reads a key whose values are "on" and "off" (as nginx directives take them).
func (p *nginxParser) onOff(name string) bool {
	v, ok := p.value(name)
	switch {
	case !ok || strings.EqualFold(v, "off"):
		return false
	case strings.EqualFold(v, "on"):
		return true
	}
	p.invalid(name, "%q is not on or off", v)
	return false
}

// unused reports keys that are set but take effect only with another setting.
func (p *nginxParser) unused(why string, names ...string) {
	for _, n := range names {
		if p.has(n) {
			p.invalid(n, "%s", why)
		}
	}
}
