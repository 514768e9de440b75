package annotations

import (
	"net/url"
	"testing"
)

func TestExtAuth(t *testing.T) {
	mustURL := func(s string) *url.URL {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	runPolicyCases(t, []policyCase{
		{
			name:     "a Service URL with response headers",
			in:       map[string]string{"auth-url": "http://auth.sso.svc.cluster.local:8080/check?x=1", "auth-response-headers": "X-User, X-Email,"},
			want:     NginxPolicy{ExtAuth: &ExtAuth{URL: mustURL("http://auth.sso.svc.cluster.local:8080/check?x=1"), ResponseHeaders: []string{"X-User", "X-Email"}}},
			findings: map[string]FindingKind{"auth-url": Approximated},
		},
		{name: "no path means /", in: map[string]string{"auth-url": "http://auth.sso"}, want: NginxPolicy{ExtAuth: &ExtAuth{URL: &url.URL{Scheme: "http", Host: "auth.sso", Path: "/"}}}, findings: map[string]FindingKind{"auth-url": Approximated}},
		{name: "https is not supported", in: map[string]string{"auth-url": "https://auth.example.com/"}, findings: map[string]FindingKind{"auth-url": Invalid}},
		{name: "a relative URL", in: map[string]string{"auth-url": "/auth"}, findings: map[string]FindingKind{"auth-url": Invalid}},
	})
}
