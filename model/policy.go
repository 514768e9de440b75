package model

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// Printed identity of route policies: gatebridge's own extension of the Istio model.
const (
	PolicyAPIVersion = "gatebridge.dev/v1alpha1"
	RoutePolicyKind  = "RoutePolicy"
)

// RoutePolicy is what a fleet does to requests on some routes beyond what the Istio networking API
// expresses: client address ranges, rate limits, authentication, body size and idle timeout.
type RoutePolicy struct {
	Meta
	// Routes are the names (istionet.HTTPRoute.Name) of the fleet's HTTP routes the policy applies to,
	// sorted. A route has at most one policy.
	Routes []string        `json:"routes"`
	Spec   RoutePolicySpec `json:"spec"`
}

// RoutePolicySpec lists what a policy asks; each part is optional.
type RoutePolicySpec struct {
	SourceRanges *SourceRanges `json:"sourceRanges,omitempty"`
	RateLimits   []RateLimit   `json:"rateLimits,omitempty"`
	// RateLimitExempt are the CIDR prefixes of client addresses no rate limit counts.
	RateLimitExempt []string   `json:"rateLimitExempt,omitempty"`
	BasicAuth       *BasicAuth `json:"basicAuth,omitempty"`
	ExtAuth         *ExtAuth   `json:"extAuth,omitempty"`
	// MaxRequestBodyBytes answers 413 to larger request bodies; zero sets no limit.
	MaxRequestBodyBytes uint64 `json:"maxRequestBodyBytes,omitempty"`
	// IdleTimeoutSeconds resets a stream that stays that long without activity; zero keeps Envoy's
	// default.
	IdleTimeoutSeconds uint32 `json:"idleTimeoutSeconds,omitempty"`
	// MirrorHost is the Host header of the copies the routes' mirrors send (without it, Envoy sends the
	// request's Host with "-shadow" appended).
	MirrorHost string `json:"mirrorHost,omitempty"`
	// CustomErrors replace the answers of some status codes with those of an error backend.
	CustomErrors *CustomErrors `json:"customErrors,omitempty"`
}

// CustomErrors replace each answer of the routes whose status is one of Codes (the backend's, or one
// the gateway makes) with the answer of an error backend, a port of a Service of the model, to a GET
// of "/" that carries the original status in X-Code (and X-Format, X-Original-URI, X-Request-ID,
// X-Service-Name, X-Service-Port, and Headers). The client gets the error backend's answer, status
// included, as ingress-nginx's custom-http-errors does.
type CustomErrors struct {
	// Codes are sorted, each once, within 400-599.
	Codes []uint32 `json:"codes"`
	Host  string   `json:"host"`
	Port  uint32   `json:"port"`
	// Headers are set on the requests to the error backend (X-Namespace, X-Ingress-Name, ...).
	Headers map[string]string `json:"headers,omitempty"`
}

// SourceRanges refuse (403) clients whose address is in Deny or, when Allow is not empty, outside
// Allow; DenyAll refuses every client (an allow-list without a usable range). Allow and Deny hold CIDR
// prefixes.
type SourceRanges struct {
	Allow   []string `json:"allow,omitempty"`
	Deny    []string `json:"deny,omitempty"`
	DenyAll bool     `json:"denyAll,omitempty"`
}

// RateLimit lets each client address (one shared bucket when PerClient is false) send Requests per
// PeriodSeconds, with bursts of up to Burst requests; the excess gets StatusCode.
type RateLimit struct {
	Requests      uint32 `json:"requests"`
	PeriodSeconds uint32 `json:"periodSeconds"`
	Burst         uint32 `json:"burst"`
	PerClient     bool   `json:"perClient"`
	StatusCode    uint32 `json:"statusCode"`
}

// BasicAuth asks for the credentials of Users; requests without valid ones get 401. With no users,
// every request gets 401.
type BasicAuth struct {
	Realm string `json:"realm,omitempty"`
	// Secret is the "namespace/name" the users come from, for reporting.
	Secret string `json:"secret,omitempty"`
	// Users are the user names, sorted; their hashes are in Htpasswd.
	Users []string `json:"users,omitempty"`
	// Htpasswd holds one "user:{SHA}hash" line per user. It is secret: never printed nor logged.
	Htpasswd []byte `json:"-"`
}

// ExtAuth asks an HTTP service (a port of a Service of the model) about each request: a 200 lets the
// request through with ResponseHeaders copied from the answer to the upstream request; another answer
// goes back to the client.
type ExtAuth struct {
	Host string `json:"host"`
	Port uint32 `json:"port"`
	// Path is the path and query the check requests are sent to.
	Path            string   `json:"path"`
	ResponseHeaders []string `json:"responseHeaders,omitempty"`
	// SigninURL, when set, turns the route's 401 answers into redirects (302) to it, with the
	// original URL in the query parameter SigninParam unless its query has that parameter already. It
	// may hold nginx's $scheme, $host, $request_uri and $escaped_request_uri, the request's own values.
	SigninURL   string `json:"signinURL,omitempty"`
	SigninParam string `json:"signinParam,omitempty"`
	// Method, when set, is the method of the check requests (one of AuthMethods); without it they carry
	// the request's method.
	Method string `json:"method,omitempty"`
	// RequestRedirect, when set, is the X-Auth-Request-Redirect header of the check requests; it may hold
	// the same nginx variables as SigninURL. Without it the header is the request's path and query.
	RequestRedirect string `json:"requestRedirect,omitempty"`
}

// AuthMethods are the methods ExtAuth.Method may name (and auth-method may ask): ingress-nginx's list
// without CONNECT, which opens a tunnel rather than asking a question.
var AuthMethods = []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}

// sortPolicies orders route policies like the other objects, and their routes.
func sortPolicies(ps []RoutePolicy) {
	slices.SortFunc(ps, func(a, b RoutePolicy) int { return compareMeta(a.Meta, b.Meta) })
	for i := range ps {
		slices.Sort(ps[i].Routes)
	}
}

// validatePolicies checks what envoyxds relies on: routes named, each route with one policy per fleet,
// prefixes that parse, rate limits that can fill a bucket, auth services with a host, port and path.
func validatePolicies(ps []RoutePolicy, bad func(kind string, m Meta, format string, args ...any)) {
	owner := map[string]string{} // fleet + route -> policy
	for _, p := range ps {
		if p.Name == "" || p.Fleet == "" || len(p.Routes) == 0 {
			bad(RoutePolicyKind, p.Meta, "name, fleet and routes are required")
			continue
		}
		for _, r := range p.Routes {
			key := p.Fleet + " " + r
			if o, ok := owner[key]; ok {
				bad(RoutePolicyKind, p.Meta, "route %q already has policy %s", r, o)
			}
			owner[key] = p.Namespace + "/" + p.Name
		}
		for _, problem := range p.Spec.problems() {
			bad(RoutePolicyKind, p.Meta, "%s", problem)
		}
	}
}

func (s *RoutePolicySpec) problems() []string {
	var out []string
	if sr := s.SourceRanges; sr != nil {
		for _, c := range slices.Concat(sr.Allow, sr.Deny) {
			if _, err := netip.ParsePrefix(c); err != nil {
				out = append(out, fmt.Sprintf("source range %q: %v", c, err))
			}
		}
	}
	for _, c := range s.RateLimitExempt {
		if _, err := netip.ParsePrefix(c); err != nil {
			out = append(out, fmt.Sprintf("rate limit exempt range %q: %v", c, err))
		}
	}
	for _, rl := range s.RateLimits {
		if rl.Requests == 0 || rl.PeriodSeconds == 0 || rl.Burst == 0 || rl.StatusCode < 200 || rl.StatusCode > 599 {
			out = append(out, fmt.Sprintf("rate limit %+v: requests, period and burst must be positive, the status an HTTP status", rl))
		}
		if rl.StatusCode != s.RateLimits[0].StatusCode {
			out = append(out, "rate limits: every limit of a route must answer the same status")
		}
	}
	if a := s.ExtAuth; a != nil && (a.Host == "" || a.Port == 0 || !strings.HasPrefix(a.Path, "/")) {
		out = append(out, "external auth: host, port and a path starting with / are required")
	}
	if a := s.ExtAuth; a != nil && a.SigninURL != "" {
		if u, err := url.Parse(strings.Replace(a.SigninURL, "$scheme://", "http://", 1)); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || a.SigninParam == "" {
			out = append(out, "external auth: the sign-in URL must be an absolute http or https URL, with a parameter name")
		}
	}
	if a := s.ExtAuth; a != nil && a.Method != "" && !slices.Contains(AuthMethods, a.Method) {
		out = append(out, fmt.Sprintf("external auth: method %q is not one of %s", a.Method, strings.Join(AuthMethods, ", ")))
	}
	if a := s.ExtAuth; a != nil && strings.ContainsFunc(a.RequestRedirect, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		out = append(out, "external auth: the request redirect holds control characters")
	}
	if ce := s.CustomErrors; ce != nil {
		out = append(out, ce.problems()...)
	}
	if b := s.BasicAuth; b != nil {
		for _, line := range strings.Split(strings.TrimSpace(string(b.Htpasswd)), "\n") {
			if line != "" && !strings.Contains(line, ":{SHA}") {
				out = append(out, "basic auth: a user without a {SHA} hash") // never quote the line
			}
		}
	}
	return out
}

// printedPolicy is the spec of a printed RoutePolicy: its routes and what it asks.
type printedPolicy struct {
	Routes []string `json:"routes"`
	RoutePolicySpec
}

// policyDocument prints a route policy like the Istio resources (without the basic-auth hashes).
func policyDocument(p RoutePolicy) (map[string]any, error) {
	spec, err := toMap(printedPolicy{Routes: p.Routes, RoutePolicySpec: p.Spec})
	if err != nil {
		return nil, fmt.Errorf("%s %s/%s: %w", RoutePolicyKind, p.Namespace, p.Name, err)
	}
	return map[string]any{"apiVersion": PolicyAPIVersion, "kind": RoutePolicyKind, "metadata": printedMetadata(p.Meta), "spec": spec}, nil
}

// parsePolicy reads a printed route policy back.
func parsePolicy(m Meta, spec []byte) (RoutePolicy, error) {
	var pp printedPolicy
	if err := json.Unmarshal(spec, &pp); err != nil {
		return RoutePolicy{}, fmt.Errorf("%s %s/%s: %w", RoutePolicyKind, m.Namespace, m.Name, err)
	}
	return RoutePolicy{Meta: m, Routes: pp.Routes, Spec: pp.RoutePolicySpec}, nil
}

func (ce *CustomErrors) problems() []string {
	var out []string
	if ce.Host == "" || ce.Host == UnresolvedBackendHost || ce.Port == 0 || ce.Port > 65535 {
		out = append(out, "custom errors: the error backend needs a host and a port")
	}
	if len(ce.Codes) == 0 || !slices.IsSorted(ce.Codes) || len(slices.Compact(slices.Clone(ce.Codes))) != len(ce.Codes) {
		out = append(out, "custom errors: codes must be sorted, each once")
	}
	for _, c := range ce.Codes {
		if c < 400 || c > 599 {
			out = append(out, fmt.Sprintf("custom errors: %d is not an error status (400-599)", c))
		}
	}
	for name, value := range ce.Headers {
		if !isHeaderName(name) || strings.ContainsAny(value, "\r\n\x00") {
			out = append(out, fmt.Sprintf("custom errors: header %q: not a header name, or a value with a line break", name))
		}
	}
	return out
}

// isHeaderName reports whether s is an HTTP field name (RFC 9110 token).
func isHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("!#$%&'*+-.^_`|~", r)) {
			return false
		}
	}
	return true
}
