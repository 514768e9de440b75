package convert

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"

	gbv1alpha1 "github.com/gatebridge/gatebridge/api/v1alpha1"
	"github.com/gatebridge/gatebridge/model"
)

func TestPolicySpec(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      gbv1alpha1.RoutePolicySpec
		want    model.RoutePolicySpec
		problem string
	}{
		{
			name: "defaults",
			in:   gbv1alpha1.RoutePolicySpec{RateLimits: []gbv1alpha1.RateLimit{{Requests: 5, PeriodSeconds: 60}}},
			want: model.RoutePolicySpec{RateLimits: []model.RateLimit{{Requests: 5, PeriodSeconds: 60, Burst: 5, PerClient: true, StatusCode: 429}}},
		},
		{
			name: "shared bucket, burst and status",
			in:   gbv1alpha1.RoutePolicySpec{RateLimits: []gbv1alpha1.RateLimit{{Requests: 2, PeriodSeconds: 1, Burst: 8, PerClient: ptr.To(false), StatusCode: 503}}},
			want: model.RoutePolicySpec{RateLimits: []model.RateLimit{{Requests: 2, PeriodSeconds: 1, Burst: 8, StatusCode: 503}}},
		},
		{
			name: "addresses become prefixes",
			in:   gbv1alpha1.RoutePolicySpec{SourceRanges: &gbv1alpha1.SourceRanges{Allow: []string{"192.0.2.1", "2001:db8::1"}, Deny: []string{"10.0.0.0/8"}}},
			want: model.RoutePolicySpec{SourceRanges: &model.SourceRanges{Allow: []string{"192.0.2.1/32", "2001:db8::1/128"}, Deny: []string{"10.0.0.0/8"}}},
		},
		{
			name: "limits",
			in:   gbv1alpha1.RoutePolicySpec{MaxRequestBodyBytes: 1024, IdleTimeoutSeconds: 5},
			want: model.RoutePolicySpec{MaxRequestBodyBytes: 1024, IdleTimeoutSeconds: 5},
		},
		{
			name: "mirror host",
			in:   gbv1alpha1.RoutePolicySpec{MirrorHost: "shadow.example.com"},
			want: model.RoutePolicySpec{MirrorHost: "shadow.example.com"},
		},
		{name: "bad mirror host", in: gbv1alpha1.RoutePolicySpec{MirrorHost: "shadow host:80"}, problem: "mirrorHost"},
		{
			name: "rate limit exemptions",
			in:   gbv1alpha1.RoutePolicySpec{RateLimitExempt: []string{"192.0.2.7", "10.0.0.0/8"}},
			want: model.RoutePolicySpec{RateLimitExempt: []string{"192.0.2.7/32", "10.0.0.0/8"}},
		},
		{name: "bad exemption", in: gbv1alpha1.RoutePolicySpec{RateLimitExempt: []string{"nope"}}, problem: "rateLimitExempt[0]"},
		{name: "bad range", in: gbv1alpha1.RoutePolicySpec{SourceRanges: &gbv1alpha1.SourceRanges{Deny: []string{"10.0.0.0/40"}}}, problem: "sourceRanges.deny[0]"},
		{name: "zero rate", in: gbv1alpha1.RoutePolicySpec{RateLimits: []gbv1alpha1.RateLimit{{Requests: 0, PeriodSeconds: 1}}}, problem: "rateLimits[0]"},
		{name: "zero period", in: gbv1alpha1.RoutePolicySpec{RateLimits: []gbv1alpha1.RateLimit{{Requests: 1}}}, problem: "rateLimits[0]"},
		{name: "status", in: gbv1alpha1.RoutePolicySpec{RateLimits: []gbv1alpha1.RateLimit{{Requests: 1, PeriodSeconds: 1, StatusCode: 302}}}, problem: "statusCode within 400-599"},
		{
			name:    "two statuses",
			in:      gbv1alpha1.RoutePolicySpec{RateLimits: []gbv1alpha1.RateLimit{{Requests: 1, PeriodSeconds: 1, StatusCode: 503}, {Requests: 1, PeriodSeconds: 60}}},
			problem: "same statusCode",
		},
		{
			name: "auth with sign-in",
			in: gbv1alpha1.RoutePolicySpec{ExtAuth: &gbv1alpha1.ExtAuth{BackendRef: gbv1alpha1.ServiceRef{Name: "a", Port: 4180}, Path: "/oauth2/auth",
				ResponseHeaders: []string{"X-Auth-Request-User"}, SigninURL: " https://$host/oauth2/start?rd=$escaped_request_uri"}},
			want: model.RoutePolicySpec{ExtAuth: &model.ExtAuth{Host: model.UnresolvedBackendHost, Port: 4180, Path: "/oauth2/auth", ResponseHeaders: []string{"X-Auth-Request-User"},
				SigninURL: "https://$host/oauth2/start?rd=$escaped_request_uri", SigninParam: "rd"}},
		},
		{
			name: "sign-in parameter and scheme",
			in: gbv1alpha1.RoutePolicySpec{ExtAuth: &gbv1alpha1.ExtAuth{BackendRef: gbv1alpha1.ServiceRef{Name: "a", Port: 80}, Path: "/check",
				SigninURL: "$scheme://sso.example.com/login", SigninParam: "next"}},
			want: model.RoutePolicySpec{ExtAuth: &model.ExtAuth{Host: model.UnresolvedBackendHost, Port: 80, Path: "/check",
				SigninURL: "$scheme://sso.example.com/login", SigninParam: "next"}},
		},
		{
			name: "auth method and request redirect",
			in: gbv1alpha1.RoutePolicySpec{ExtAuth: &gbv1alpha1.ExtAuth{BackendRef: gbv1alpha1.ServiceRef{Name: "a", Port: 80}, Path: "/check",
				Method: "POST", RequestRedirect: "https://$host/back"}},
			want: model.RoutePolicySpec{ExtAuth: &model.ExtAuth{Host: model.UnresolvedBackendHost, Port: 80, Path: "/check", Method: "POST", RequestRedirect: "https://$host/back"}},
		},
		{name: "auth method", in: gbv1alpha1.RoutePolicySpec{ExtAuth: &gbv1alpha1.ExtAuth{BackendRef: gbv1alpha1.ServiceRef{Name: "a", Port: 80}, Path: "/",
			Method: "CONNECT"}}, problem: "extAuth.method"},
		{name: "request redirect variable", in: gbv1alpha1.RoutePolicySpec{ExtAuth: &gbv1alpha1.ExtAuth{BackendRef: gbv1alpha1.ServiceRef{Name: "a", Port: 80}, Path: "/",
			RequestRedirect: "$http_referer"}}, problem: "extAuth.requestRedirect"},
		{name: "sign-in variable", in: gbv1alpha1.RoutePolicySpec{ExtAuth: &gbv1alpha1.ExtAuth{BackendRef: gbv1alpha1.ServiceRef{Name: "a", Port: 80}, Path: "/",
			SigninURL: "https://sso.example.com/?rd=$uri"}}, problem: "extAuth.signinURL"},
		{name: "sign-in relative", in: gbv1alpha1.RoutePolicySpec{ExtAuth: &gbv1alpha1.ExtAuth{BackendRef: gbv1alpha1.ServiceRef{Name: "a", Port: 80}, Path: "/",
			SigninURL: "/oauth2/start"}}, problem: "extAuth.signinURL"},
		{name: "sign-in fragment", in: gbv1alpha1.RoutePolicySpec{ExtAuth: &gbv1alpha1.ExtAuth{BackendRef: gbv1alpha1.ServiceRef{Name: "a", Port: 80}, Path: "/",
			SigninURL: "https://sso.example.com/#x"}}, problem: "extAuth.signinURL"},
		{name: "sign-in parameter", in: gbv1alpha1.RoutePolicySpec{ExtAuth: &gbv1alpha1.ExtAuth{BackendRef: gbv1alpha1.ServiceRef{Name: "a", Port: 80}, Path: "/",
			SigninURL: "https://sso.example.com/", SigninParam: "r&d"}}, problem: "extAuth.signinParam"},
		{name: "sign-in parameter alone", in: gbv1alpha1.RoutePolicySpec{ExtAuth: &gbv1alpha1.ExtAuth{BackendRef: gbv1alpha1.ServiceRef{Name: "a", Port: 80}, Path: "/",
			SigninParam: "rd"}}, problem: "needs a signinURL"},
		{name: "auth path", in: gbv1alpha1.RoutePolicySpec{ExtAuth: &gbv1alpha1.ExtAuth{BackendRef: gbv1alpha1.ServiceRef{Name: "a", Port: 80}, Path: "check"}}, problem: "extAuth"},
		{name: "no secret", in: gbv1alpha1.RoutePolicySpec{BasicAuth: &gbv1alpha1.BasicAuth{Realm: "x"}}, problem: "secretName"},
		{name: "negative body", in: gbv1alpha1.RoutePolicySpec{MaxRequestBodyBytes: -1}, problem: "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := policySpec(&tc.in)
			if tc.problem != "" {
				if !strings.Contains(strings.Join(problems, "; "), tc.problem) {
					t.Errorf("problems %q, want one about %q", problems, tc.problem)
				}
				return
			}
			if len(problems) > 0 {
				t.Fatalf("problems %q", problems)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
		})
	}
}
