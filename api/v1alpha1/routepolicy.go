package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Identity of the API.
const (
	GroupName       = "gatebridge.dev"
	Version         = "v1alpha1"
	RoutePolicyKind = "RoutePolicy"
	// RoutePolicyResource is the plural name the API server serves RoutePolicies under.
	RoutePolicyResource = "routepolicies"
)

// SchemeGroupVersion is the group and version of this API.
var SchemeGroupVersion = schema.GroupVersion{Group: GroupName, Version: Version}

// RoutePolicies is the resource of RoutePolicies, for dynamic clients.
var RoutePolicies = SchemeGroupVersion.WithResource(RoutePolicyResource)

// Defaults the translation applies to what a RoutePolicy leaves unset.
const (
	// DefaultRateLimitStatus answers a client over its rate.
	DefaultRateLimitStatus = 429
	// BasicAuthSecretKey is the key of the Secret holding the htpasswd lines of basic authentication.
	BasicAuthSecretKey = "auth"
)

// RoutePolicy is what gatebridge does to the requests of the HTTPRoute rules that name it in an
// ExtensionRef filter (group gatebridge.dev, kind RoutePolicy), beyond what Gateway API has fields for:
// client address ranges, rate limits, basic and external authentication, body size, idle timeout and
// the Host of mirrored requests.
// Each part is optional; a rule names at most one RoutePolicy, of its own namespace.
type RoutePolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec RoutePolicySpec `json:"spec"`
}

// RoutePolicySpec lists what a RoutePolicy asks.
type RoutePolicySpec struct {
	SourceRanges *SourceRanges `json:"sourceRanges,omitempty"`
	RateLimits   []RateLimit   `json:"rateLimits,omitempty"`
	// RateLimitExempt are client ranges (CIDR prefixes or single addresses) no rate limit counts:
	// their requests are never limited.
	RateLimitExempt []string   `json:"rateLimitExempt,omitempty"`
	BasicAuth       *BasicAuth `json:"basicAuth,omitempty"`
	ExtAuth         *ExtAuth   `json:"extAuth,omitempty"`
	// MaxRequestBodyBytes answers 413 to requests with a larger body; zero or unset sets no limit.
	MaxRequestBodyBytes int64 `json:"maxRequestBodyBytes,omitempty"`
	// IdleTimeoutSeconds resets a request that stays that long without activity (504 before the
	// response starts); zero or unset keeps the default.
	IdleTimeoutSeconds int32 `json:"idleTimeoutSeconds,omitempty"`
	// CustomErrors replace the answers with some status codes with those of an error backend.
	CustomErrors *CustomErrors `json:"customErrors,omitempty"`
	// MirrorHost is the Host header of the copies the rule's RequestMirror filters send (a host name).
	// Unset, Envoy sends the request's Host with "-shadow" appended.
	MirrorHost string `json:"mirrorHost,omitempty"`
}

// SourceRanges refuse (403) clients whose address is in Deny or, when Allow is not empty, outside
// Allow. Entries are CIDR prefixes ("10.0.0.0/8", "2001:db8::/32") or single addresses. DenyAll refuses
// every client.
type SourceRanges struct {
	Allow   []string `json:"allow,omitempty"`
	Deny    []string `json:"deny,omitempty"`
	DenyAll bool     `json:"denyAll,omitempty"`
}

// RateLimit lets each client address (all clients together when PerClient is false) send Requests
// every PeriodSeconds, in bursts of up to Burst requests (default: Requests); requests over the rate get
// StatusCode (default 429).
type RateLimit struct {
	Requests      int32 `json:"requests"`
	PeriodSeconds int32 `json:"periodSeconds"`
	Burst         int32 `json:"burst,omitempty"`
	// PerClient keeps a bucket per client address; default true.
	PerClient  *bool `json:"perClient,omitempty"`
	StatusCode int32 `json:"statusCode,omitempty"`
}

// BasicAuth asks for the credentials of the users of a Secret of the RoutePolicy's namespace: htpasswd
// lines in its key "auth", with {SHA} hashes (htpasswd -s). Requests without valid credentials get 401.
type BasicAuth struct {
	SecretName string `json:"secretName"`
	Realm      string `json:"realm,omitempty"`
}

// ExtAuth asks an HTTP service, a port of a Service, about each request: the check request goes to
// Path with the request's headers; a 200 lets the request through, with ResponseHeaders copied from
// the answer to the upstream request, and another answer goes back to the client (a 401 as a redirect
// to SigninURL when it is set).
type ExtAuth struct {
	BackendRef ServiceRef `json:"backendRef"`
	Path       string     `json:"path"`
	// ResponseHeaders are the headers of the answer copied to the upstream request.
	ResponseHeaders []string `json:"responseHeaders,omitempty"`
	// SigninURL, when set, turns the rule's 401 answers (the auth service's, and the backend's) into
	// redirects (302) to it, the original URL (scheme://host/path?query, not percent-encoded) in the
	// query parameter SigninParam unless the URL's query has that parameter already. It is an absolute
	// http or https URL without a fragment; it may hold nginx's names for the request's values: $scheme
	// (as the scheme, "$scheme://"), $host (the request's Host), $request_uri and $escaped_request_uri
	// (its path and query, neither percent-encoded), and no other "$".
	SigninURL string `json:"signinURL,omitempty"`
	// SigninParam is the query parameter of SigninURL that carries the original URL; default DefaultSigninParam.
	SigninParam string `json:"signinParam,omitempty"`
	// Method, when set, is the method of the check requests (DELETE, GET, HEAD, OPTIONS, PATCH, POST,
	// PUT or TRACE), as ingress-nginx's auth-method; without it they carry the request's method.
	Method string `json:"method,omitempty"`
	// RequestRedirect, when set, is the X-Auth-Request-Redirect header of the check requests (ingress-nginx's
	// auth-request-redirect), instead of the request's path and query. It may hold the variables SigninURL
	// may hold, and no other "$".
	RequestRedirect string `json:"requestRedirect,omitempty"`
}

// DefaultSigninParam is the query parameter of a sign-in redirect that carries the original URL.
const DefaultSigninParam = "rd"

// CustomErrors replace each answer of the rule whose status is one of Codes (the backend's, or one
// the gateway makes, such as a rate limit's) with the answer of BackendRef to a GET of "/" (the query
// kept) carrying X-Code (the status), X-Format (the Accept), X-Original-URI, X-Namespace, X-Service-Name,
// X-Service-Port and X-Request-ID, as ingress-nginx's custom-http-errors does. The client gets the
// error backend's answer, its status included.
type CustomErrors struct {
	// Codes are status codes within 400-599.
	Codes      []int32    `json:"codes"`
	BackendRef ServiceRef `json:"backendRef"`
}

// ServiceRef names a port of a Service. A Service of another namespace needs a ReferenceGrant of that
// namespace allowing RoutePolicies (group gatebridge.dev) of the RoutePolicy's namespace.
type ServiceRef struct {
	Name      string  `json:"name"`
	Namespace *string `json:"namespace,omitempty"`
	Port      int32   `json:"port"`
}
