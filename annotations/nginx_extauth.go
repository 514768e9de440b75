package annotations

import (
	"net/url"
	"strings"
)

// extAuthKeys ask an external HTTP service whether each request may pass.
var extAuthKeys = keySet("auth-url", "auth-response-headers")

// ExtAuth asks an HTTP service about each request: a 2xx answer lets it through, with the listed
// response headers copied to the upstream request; another answer is returned to the client.
type ExtAuth struct {
	// URL is the auth-url: http only, with a host (a Service of the cluster) and a path.
	URL *url.URL
	// ResponseHeaders are the auth-response-headers, in the order given.
	ResponseHeaders []string
}

func parseExtAuth(annotations map[string]string, findings []Finding) (*ExtAuth, []Finding) {
	raw, ok := nginxValue(annotations, "auth-url")
	if !ok {
		return nil, findings
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil || u.Host == "" || u.User != nil:
		return nil, append(findings, invalid("auth-url", "%q is not an absolute http URL; no authentication is asked", raw))
	case u.Scheme != "http":
		return nil, append(findings, invalid("auth-url", "scheme %q is not supported (only http); no authentication is asked", u.Scheme))
	}
	if u.Path == "" {
		u.Path = "/"
	}
	ea := ExtAuth{URL: u}
	findings = append(findings, approximated("auth-url", "served by Envoy's ext_authz: only a 200 answer lets a request through (nginx: any 2xx), and every other answer of the auth service goes back to the client (nginx: 401 and 403, other answers become 500)"))
	if v, ok := nginxValue(annotations, "auth-response-headers"); ok {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				ea.ResponseHeaders = append(ea.ResponseHeaders, h)
			}
		}
	}
	return &ea, findings
}
