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
			name:     "a relative auth-signin",
			in:       map[string]string{"auth-url": "http://auth.sso/check", "auth-signin": "/login"},
			want:     NginxPolicy{ExtAuth: &ExtAuth{URL: mustURL("http://auth.sso/check")}},
			findings: map[string]FindingKind{"auth-url": Approximated, "auth-signin": Invalid},
		},
		{name: "auth-signin without auth-url", in: map[string]string{"auth-signin": "https://login.example.com/"}, findings: map[string]FindingKind{"auth-signin": Invalid}},
		{
			name:     "auth-method and a literal auth-request-redirect",
			in:       map[string]string{"auth-url": "http://auth.sso/check", "auth-method": " POST ", "auth-request-redirect": "https://app.example.com/home"},
			want:     NginxPolicy{ExtAuth: &ExtAuth{URL: mustURL("http://auth.sso/check"), Method: "POST", RequestRedirect: "https://app.example.com/home"}},
			findings: map[string]FindingKind{"auth-url": Approximated},
		},
		{
			name:     "auth-request-redirect with sign-in variables",
			in:       map[string]string{"auth-url": "http://auth.sso/check", "auth-request-redirect": "$scheme://$host$request_uri"},
			want:     NginxPolicy{ExtAuth: &ExtAuth{URL: mustURL("http://auth.sso/check"), RequestRedirect: "$scheme://$host$request_uri"}},
			findings: map[string]FindingKind{"auth-url": Approximated, "auth-request-redirect": Approximated},
		},
		{
			name:     "unknown auth-method and other variables in auth-request-redirect",
			in:       map[string]string{"auth-url": "http://auth.sso/check", "auth-method": "get", "auth-request-redirect": "$http_referer"},
			want:     NginxPolicy{ExtAuth: &ExtAuth{URL: mustURL("http://auth.sso/check")}},
			findings: map[string]FindingKind{"auth-url": Approximated, "auth-method": Invalid, "auth-request-redirect": Invalid},
		},
		{
			name:     "CONNECT and an empty auth-request-redirect",
			in:       map[string]string{"auth-url": "http://auth.sso/check", "auth-method": "CONNECT", "auth-request-redirect": " "},
			want:     NginxPolicy{ExtAuth: &ExtAuth{URL: mustURL("http://auth.sso/check")}},
			findings: map[string]FindingKind{"auth-url": Approximated, "auth-method": Invalid, "auth-request-redirect": Invalid},
		},
		{
			name:     "auth-method and auth-request-redirect without auth-url",
			in:       map[string]string{"auth-method": "GET", "auth-request-redirect": "/x"},
			findings: map[string]FindingKind{"auth-method": Invalid, "auth-request-redirect": Invalid},
		},
		{name: "ftp is not supported: every request is refused", in: map[string]string{"auth-url": "ftp://auth.example.com/"}, want: NginxPolicy{RefuseAll: true}, findings: map[string]FindingKind{"auth-url": Invalid}},
		{name: "a relative URL: every request is refused", in: map[string]string{"auth-url": "/auth"}, want: NginxPolicy{RefuseAll: true}, findings: map[string]FindingKind{"auth-url": Invalid}},
	})
}

func TestExtAuthSameHost(t *testing.T) {
	mustURL := func(s string) *url.URL {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	schemeURL := mustURL("http://$host/oauth2/start")
	schemeURL.Scheme = "$scheme"
	runPolicyCases(t, []policyCase{
		{
			name: "oauth2-proxy's pattern: $host and sign-in variables",
			in: map[string]string{"auth-url": "https://$host/oauth2/auth", "auth-signin": "https://$host/oauth2/start?rd=$escaped_request_uri",
				"auth-response-headers": "X-Auth-Request-User,X-Auth-Request-Email"},
			want: NginxPolicy{ExtAuth: &ExtAuth{URL: mustURL("https://$host/oauth2/auth"), ResponseHeaders: []string{"X-Auth-Request-User", "X-Auth-Request-Email"},
				Signin: mustURL("https://$host/oauth2/start?rd=$escaped_request_uri"), SigninParam: "rd"}},
			findings: map[string]FindingKind{"auth-url": Approximated, "auth-signin": Approximated},
		},
		{
			name:     "$scheme in auth-signin",
			in:       map[string]string{"auth-url": "http://auth.sso/check", "auth-signin": "$scheme://$host/oauth2/start"},
			want:     NginxPolicy{ExtAuth: &ExtAuth{URL: mustURL("http://auth.sso/check"), Signin: schemeURL, SigninParam: "rd"}},
			findings: map[string]FindingKind{"auth-url": Approximated, "auth-signin": Approximated},
		},
		{
			name:     "an https host of the cluster or outside it is kept for translation to resolve",
			in:       map[string]string{"auth-url": "https://auth.example.com/check"},
			want:     NginxPolicy{ExtAuth: &ExtAuth{URL: mustURL("https://auth.example.com/check")}},
			findings: map[string]FindingKind{"auth-url": Approximated},
		},
		{
			name:     "other variables in auth-url: every request is refused",
			in:       map[string]string{"auth-url": "https://$host/oauth2/auth?uri=$request_uri"},
			want:     NginxPolicy{RefuseAll: true},
			findings: map[string]FindingKind{"auth-url": Invalid},
		},
		{
			name:     "other variables in auth-signin: the 401 stays",
			in:       map[string]string{"auth-url": "http://auth.sso/check", "auth-signin": "https://$http_host/start"},
			want:     NginxPolicy{ExtAuth: &ExtAuth{URL: mustURL("http://auth.sso/check")}},
			findings: map[string]FindingKind{"auth-url": Approximated, "auth-signin": Invalid},
		},
	})
}
