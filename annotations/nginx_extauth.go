package annotations

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/gatebridge/gatebridge/model"
)

// extAuthKeys ask an external HTTP service whether each request may pass.
var extAuthKeys = keySet("auth-url", "auth-response-headers", "auth-signin", "auth-signin-redirect-param", "auth-method", "auth-request-redirect")

// ExtAuth asks an HTTP service about each request: a 2xx answer lets it through, with the listed
// response headers copied to the upstream request; another answer is returned to the client.
type ExtAuth struct {
	// URL is the auth-url: http or https, with a host (a Service of the cluster, RequestHost, or a host
	// of the Ingress) and a path.
	URL *url.URL
	// ResponseHeaders are the auth-response-headers, in the order given.
	ResponseHeaders []string
	// Signin, when set (auth-signin), turns a 401 into a redirect (302) to this URL (which may hold
	// SigninVariables) with the original URL in the query parameter SigninParam (auth-signin-redirect-param,
	// default rd) unless the URL's query has that parameter already, as ingress-nginx builds it.
	Signin      *url.URL
	SigninParam string
	// Method (auth-method), when set, is the method of the check requests; without it they carry the
	// request's method.
	Method string
	// RequestRedirect (auth-request-redirect), when set, is the X-Auth-Request-Redirect header of the
	// check requests (which may hold SigninVariables); without it the header is the request's path and
	// query, as ingress-nginx sends it.
	RequestRedirect string
}

// parseExtAuth reads the external auth keys; refuse says an auth-url is set that cannot be used.
func parseExtAuth(annotations map[string]string, findings []Finding) (ea *ExtAuth, refuse bool, _ []Finding) {
	ea, refuse, findings = parseAuthURL(annotations, findings)
	for _, key := range []string{"auth-signin", "auth-method", "auth-request-redirect"} {
		if _, set := nginxValue(annotations, key); set && ea == nil {
			findings = append(findings, invalid(key, "has no effect without a usable auth-url"))
		}
	}
	return ea, refuse, findings
}

// RequestHost is the auth-url host that stands for the request's own host (nginx's $host): the check goes
// to the path of the same server, typically oauth2-proxy's /oauth2/auth behind a second Ingress.
const RequestHost = "$host"

func parseAuthURL(annotations map[string]string, findings []Finding) (*ExtAuth, bool, []Finding) {
	raw, ok := nginxValue(annotations, "auth-url")
	if !ok {
		return nil, false, findings
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil || u.Host == "" || u.User != nil:
		return nil, true, append(findings, invalid("auth-url", "%q is not an absolute http URL; %s", raw, RefusedAuth))
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, true, append(findings, invalid("auth-url", "scheme %q is not supported (only http and https); %s", u.Scheme, RefusedAuth))
	case strings.Contains(strings.Replace(raw, "://"+RequestHost, "://", 1), "$"):
		return nil, true, append(findings, invalid("auth-url", "%q holds nginx variables other than a host %s, which gatebridge does not expand; %s", raw, RequestHost, RefusedAuth))
	}
	if u.Path == "" {
		u.Path = "/"
	}
	ea := ExtAuth{URL: u}
	findings = append(findings, approximated("auth-url", "served by Envoy's ext_authz: as in nginx, any 2xx answer lets a request through, 401 and 403 go back to the client, and a 5xx answer or an auth service that cannot be reached gives 500; "+
		"other answers (3xx, other 4xx) go back to the client, where nginx answers 500"))
	if v, ok := nginxValue(annotations, "auth-response-headers"); ok {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				ea.ResponseHeaders = append(ea.ResponseHeaders, h)
			}
		}
	}
	ea.Signin, ea.SigninParam, findings = parseSignin(annotations, findings)
	ea.Method, findings = parseAuthMethod(annotations, findings)
	ea.RequestRedirect, findings = parseAuthRequestRedirect(annotations, findings)
	return &ea, false, findings
}

// SigninVariables are the nginx variables auth-signin may hold: the request's scheme, host, and path with
// its query (escaped or not).
var SigninVariables = []string{"$scheme", "$host", "$escaped_request_uri", "$request_uri"}

// parseSignin reads auth-signin: an absolute http(s) URL, whose nginx variables may be SigninVariables.
func parseSignin(annotations map[string]string, findings []Finding) (*url.URL, string, []Finding) {
	raw, ok := nginxValue(annotations, "auth-signin")
	if !ok {
		return nil, "", findings
	}
	u, err := ParseSigninURL(raw)
	if err != nil {
		return nil, "", append(findings, invalid("auth-signin", "%v; a 401 stays a 401", err))
	}
	param := DefaultSigninParam
	if v, ok := nginxValue(annotations, "auth-signin-redirect-param"); ok && strings.TrimSpace(v) != "" {
		param = url.QueryEscape(strings.TrimSpace(v))
	}
	return u, param, append(findings, approximated("auth-signin", "a 401 of the route, from the auth service or from the backend, becomes a 302 to the sign-in URL; "+
		"the original URL in %s (or $escaped_request_uri) is not percent-encoded (nginx escapes its path and query)", param))
}

// DefaultSigninParam is the query parameter of the sign-in URL that carries the original URL (ingress-nginx's rd).
const DefaultSigninParam = "rd"

// ParseSigninURL reads a sign-in URL: absolute, http or https (or $scheme, the request's), without a
// fragment, whose nginx variables are SigninVariables only. The same rules hold for auth-signin and a
// RoutePolicy's extAuth.signinURL.
func ParseSigninURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	after, withScheme := strings.CutPrefix(raw, "$scheme://")
	u, err := url.Parse(raw)
	if withScheme {
		if u, err = url.Parse("http://" + after); err == nil {
			u.Scheme = "$scheme"
		}
	}
	if verr := onlySigninVariables(raw); verr != nil {
		return nil, verr
	}
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "$scheme") || strings.Contains(raw, "#"):
		return nil, fmt.Errorf("%q is not an absolute http or https URL without a fragment", raw)
	}
	return u, nil
}

// parseAuthMethod reads auth-method: one of model.AuthMethods, upper case as nginx sends it.
func parseAuthMethod(annotations map[string]string, findings []Finding) (string, []Finding) {
	raw, ok := nginxValue(annotations, "auth-method")
	if !ok {
		return "", findings
	}
	m := strings.TrimSpace(raw)
	if !slices.Contains(model.AuthMethods, m) {
		return "", append(findings, invalid("auth-method", "%q is not one of %s; check requests keep the request's method", raw, strings.Join(model.AuthMethods, ", ")))
	}
	return m, findings
}

// parseAuthRequestRedirect reads auth-request-redirect: a header value whose nginx variables may be
// SigninVariables.
func parseAuthRequestRedirect(annotations map[string]string, findings []Finding) (string, []Finding) {
	raw, ok := nginxValue(annotations, "auth-request-redirect")
	if !ok {
		return "", findings
	}
	v := strings.TrimSpace(raw)
	if err := CheckRequestRedirect(v); err != nil {
		return "", append(findings, invalid("auth-request-redirect", "%v; X-Auth-Request-Redirect stays the request's path", err))
	}
	if strings.Contains(v, "$") {
		findings = append(findings, approximated("auth-request-redirect", "$host is the request's authority (with its port, if any) and $escaped_request_uri is not percent-encoded"))
	}
	return v, findings
}

// CheckRequestRedirect tells whether v can be an X-Auth-Request-Redirect value: not empty, without
// control characters, with SigninVariables as its only nginx variables.
func CheckRequestRedirect(v string) error {
	switch {
	case v == "":
		return fmt.Errorf("the value is empty")
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("%q holds control characters", v)
	}
	return onlySigninVariables(v)
}

// onlySigninVariables refuses a value that holds nginx variables other than SigninVariables.
func onlySigninVariables(v string) error {
	rest := v
	for _, name := range SigninVariables {
		rest = strings.ReplaceAll(rest, name, "")
	}
	if strings.Contains(rest, "$") {
		return fmt.Errorf("%q holds variables other than %s, which gatebridge does not expand", v, strings.Join(SigninVariables, ", "))
	}
	return nil
}
