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
		{
			name:     "auth-signin with the default parameter",
			in:       map[string]string{"auth-url": "http://auth.sso/check", "auth-signin": "https://login.example.com/start?x=1"},
			want:     NginxPolicy{ExtAuth: &ExtAuth{URL: mustURL("http://auth.sso/check"), Signin: mustURL("https://login.example.com/start?x=1"), SigninParam: "rd"}},
			findings: map[string]FindingKind{"auth-url": Approximated, "auth-signin": Approximated},
		},
		{
			name:     "auth-signin-redirect-param",
			in:       map[string]string{"auth-url": "http://auth.sso/check", "auth-signin": "http://login.example.com/", "auth-signin-redirect-param": "next"},
			want:     NginxPolicy{ExtAuth: &ExtAuth{URL: mustURL("http://auth.sso/check"), Signin: mustURL("http://login.example.com/"), SigninParam: "next"}},
			findings: map[string]FindingKind{"auth-url": Approximated, "auth-signin": Approximated},
		},
		{
			name:     "auth-signin with nginx variables",
			in:       map[string]string{"auth-url": "http://auth.sso/check", "auth-signin": "https://$host/oauth2/start?rd=$escaped_request_uri"},
			want:     NginxPolicy{ExtAuth: &ExtAuth{URL: mustURL("http://auth.sso/check")}},
			findings: map[string]FindingKind{"auth-url": Approximated, "auth-signin": Invalid},
		},
		{
			name:     "a relative auth-signin",
			in:       map[string]string{"auth-url": "http://auth.sso/check", "auth-signin": "/login"},
			want:     NginxPolicy{ExtAuth: &ExtAuth{URL: mustURL("http://auth.sso/check")}},
			findings: map[string]FindingKind{"auth-url": Approximated, "auth-signin": Invalid},
		},
		{name: "auth-signin without auth-url", in: map[string]string{"auth-signin": "https://login.example.com/"}, findings: map[string]FindingKind{"auth-signin": Invalid}},
		{name: "https is not supported: every request is refused", in: map[string]string{"auth-url": "https://auth.example.com/"}, want: NginxPolicy{RefuseAll: true}, findings: map[string]FindingKind{"auth-url": Invalid}},
		{name: "a relative URL: every request is refused", in: map[string]string{"auth-url": "/auth"}, want: NginxPolicy{RefuseAll: true}, findings: map[string]FindingKind{"auth-url": Invalid}},
	})
}
