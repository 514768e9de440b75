package annotations

import "fmt"

// nginxPolicyKeys are the ingress-nginx keys (without prefix) served by gatebridge's route policies
// (model.RoutePolicy): what the Istio networking API has no field for.
var nginxPolicyKeys = union(sourceRangeKeys, rateLimitKeys, basicAuthKeys, extAuthKeys, bodySizeKeys, proxyTimeoutKeys, customErrorKeys)

// NginxPolicy holds the ingress-nginx settings of one Ingress that become a route policy. A nil or
// zero field asks for nothing.
type NginxPolicy struct {
	SourceRanges *SourceRanges
	RateLimit    *RateLimit
	BasicAuth    *BasicAuth
	ExtAuth      *ExtAuth
	// MaxBodyBytes is proxy-body-size: larger request bodies get 413. Zero: no limit.
	MaxBodyBytes uint64
	// IdleTimeoutSeconds is the larger of proxy-read-timeout and proxy-send-timeout. Zero: not set.
	IdleTimeoutSeconds uint32
	// CustomErrors are custom-http-errors with the default-backend Service they go to.
	CustomErrors *CustomErrors
	// RefuseAll says an annotation asks for authentication in a form gatebridge cannot check (an
	// unusable auth-url, an auth-type other than basic): every request is refused (503, what
	// ingress-nginx answers for a location whose auth annotation it cannot use), never let through.
	RefuseAll bool
}

// RefusedAuth ends the finding of an authentication that cannot be asked (after "; ").
const RefusedAuth = "every request is refused (503) rather than let through without authentication"

// IsZero reports whether the settings ask for nothing: the Ingress needs no route policy.
func (p NginxPolicy) IsZero() bool { return p == NginxPolicy{} }

// parseNginxPolicy reads the policy keys of an Ingress's annotations, appending a finding for each value
// that cannot be used.
func parseNginxPolicy(annotations map[string]string, findings []Finding) (NginxPolicy, []Finding) {
	var p NginxPolicy
	p.SourceRanges, findings = parseSourceRanges(annotations, findings)
	p.RateLimit, findings = parseRateLimit(annotations, findings)
	var badBasic, badExt bool
	p.BasicAuth, badBasic, findings = parseBasicAuth(annotations, findings)
	p.ExtAuth, badExt, findings = parseExtAuth(annotations, findings)
	p.RefuseAll = badBasic || badExt
	p.MaxBodyBytes, findings = parseBodySize(annotations, findings)
	p.IdleTimeoutSeconds, findings = parseProxyTimeouts(annotations, findings)
	p.CustomErrors, findings = parseCustomErrors(annotations, findings)
	return p, findings
}

// nginxValue returns the value of an ingress-nginx key (given without prefix) and whether it is set.
func nginxValue(annotations map[string]string, name string) (string, bool) {
	v, ok := annotations[NginxPrefix+name]
	return v, ok
}

// invalid is the finding of a value that cannot be used.
func invalid(name, format string, args ...any) Finding {
	return Finding{Key: NginxPrefix + name, Kind: Invalid, Message: fmt.Sprintf(format, args...)}
}

// approximated is the finding of a key honoured differently from ingress-nginx.
func approximated(name, format string, args ...any) Finding {
	return Finding{Key: NginxPrefix + name, Kind: Approximated, Message: fmt.Sprintf(format, args...)}
}
