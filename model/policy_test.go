package model

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func policy(name string, routes []string, spec RoutePolicySpec) RoutePolicy {
	return RoutePolicy{Meta: Meta{Name: name, Namespace: "gatebridge-system", Fleet: "ingress-gatebridge", Origin: OriginIngress}, Routes: routes, Spec: spec}
}

func TestValidatePolicies(t *testing.T) {
	ok := RoutePolicySpec{
		SourceRanges: &SourceRanges{Allow: []string{"10.0.0.0/8"}},
		RateLimits:   []RateLimit{{Requests: 5, PeriodSeconds: 1, Burst: 25, PerClient: true, StatusCode: 503}},
		BasicAuth:    &BasicAuth{Users: []string{"a"}, Htpasswd: []byte("a:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=\n")},
		ExtAuth:      &ExtAuth{Host: "auth.sso.svc.cluster.local", Port: 80, Path: "/check"},
		CustomErrors: &CustomErrors{Codes: []uint32{404, 503}, Host: "errors.shop.svc.cluster.local", Port: 80, Headers: map[string]string{"X-Namespace": "shop"}},
	}
	errorsTo := func(ce CustomErrors) []RoutePolicy {
		return []RoutePolicy{policy("a", []string{"r"}, RoutePolicySpec{CustomErrors: &ce})}
	}
	tests := []struct {
		name    string
		ps      []RoutePolicy
		wantErr string
	}{
		{name: "valid", ps: []RoutePolicy{policy("a", []string{"r1"}, ok), policy("b", []string{"r2"}, ok)}},
		{name: "two policies on one route", ps: []RoutePolicy{policy("a", []string{"r1"}, ok), policy("b", []string{"r1"}, ok)}, wantErr: `route "r1" already has policy`},
		{name: "no routes", ps: []RoutePolicy{policy("a", nil, ok)}, wantErr: "routes are required"},
		{name: "bad prefix", ps: []RoutePolicy{policy("a", []string{"r"}, RoutePolicySpec{SourceRanges: &SourceRanges{Deny: []string{"10.0.0.1"}}})}, wantErr: "source range"},
		{name: "two statuses", ps: []RoutePolicy{policy("a", []string{"r"}, RoutePolicySpec{RateLimits: []RateLimit{
			{Requests: 1, PeriodSeconds: 1, Burst: 1, StatusCode: 503}, {Requests: 9, PeriodSeconds: 60, Burst: 9, StatusCode: 429},
		}})}, wantErr: "same status"},
		{name: "bad exempt prefix", ps: []RoutePolicy{policy("a", []string{"r"}, RoutePolicySpec{RateLimitExempt: []string{"10.0.0.0/40"}})}, wantErr: "rate limit exempt range"},
		{name: "empty bucket", ps: []RoutePolicy{policy("a", []string{"r"}, RoutePolicySpec{RateLimits: []RateLimit{{Requests: 1, PeriodSeconds: 1, StatusCode: 503}}})}, wantErr: "rate limit"},
		{name: "auth without port", ps: []RoutePolicy{policy("a", []string{"r"}, RoutePolicySpec{ExtAuth: &ExtAuth{Host: "h", Path: "/"}})}, wantErr: "external auth"},
		{name: "an unknown auth method", ps: []RoutePolicy{policy("a", []string{"r"}, RoutePolicySpec{ExtAuth: &ExtAuth{Host: "h", Port: 80, Path: "/", Method: "get"}})}, wantErr: "method"},
		{name: "a request redirect on two lines", ps: []RoutePolicy{policy("a", []string{"r"}, RoutePolicySpec{ExtAuth: &ExtAuth{Host: "h", Port: 80, Path: "/", RequestRedirect: "/a\r\nX-Evil: 1"}})}, wantErr: "request redirect"},
		{name: "a relative sign-in URL", ps: []RoutePolicy{policy("a", []string{"r"}, RoutePolicySpec{ExtAuth: &ExtAuth{Host: "h", Port: 80, Path: "/", SigninURL: "/login", SigninParam: "rd"}})}, wantErr: "sign-in URL"},
		{name: "custom errors: a code that is no error", ps: errorsTo(CustomErrors{Codes: []uint32{302}, Host: "e", Port: 80}), wantErr: "not an error status"},
		{name: "custom errors: codes twice", ps: errorsTo(CustomErrors{Codes: []uint32{404, 404}, Host: "e", Port: 80}), wantErr: "each once"},
		{name: "custom errors: no code", ps: errorsTo(CustomErrors{Host: "e", Port: 80}), wantErr: "each once"},
		{name: "custom errors: an unresolved backend", ps: errorsTo(CustomErrors{Codes: []uint32{404}, Host: UnresolvedBackendHost, Port: 80}), wantErr: "host and a port"},
		{name: "custom errors: a bad header", ps: errorsTo(CustomErrors{Codes: []uint32{404}, Host: "e", Port: 80, Headers: map[string]string{"X Bad": "v"}}), wantErr: "header"},
		{name: "custom errors: a header value with a line break", ps: errorsTo(CustomErrors{Codes: []uint32{404}, Host: "e", Port: 80, Headers: map[string]string{"X-A": "v\r\nX-B: w"}}), wantErr: "header"},
		{name: "a hash Envoy refuses", ps: []RoutePolicy{policy("a", []string{"r"}, RoutePolicySpec{BasicAuth: &BasicAuth{Htpasswd: []byte("a:$apr1$x$y\n")}})}, wantErr: "{SHA}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := (&Snapshot{RoutePolicies: tt.ps}).Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalid)):
				t.Fatalf("Validate: %v, want an error with %q", err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), "$apr1$"):
				t.Fatalf("the error quotes the secret: %v", err)
			}
		})
	}
}

// TestPolicyRoundTrip prints a snapshot with a policy and reads it back: everything but the hashes
// survives, and the hashes are not printed.
func TestPolicyRoundTrip(t *testing.T) {
	p := policy("shop.admin", []string{"shop/admin/rules[0].http.paths[0]"}, RoutePolicySpec{
		SourceRanges:        &SourceRanges{Allow: []string{"127.0.0.2/32"}, Deny: []string{"127.0.0.3/32"}},
		RateLimitExempt:     []string{"10.0.0.0/8"},
		BasicAuth:           &BasicAuth{Realm: "staff", Secret: "shop/users", Users: []string{"alice"}, Htpasswd: []byte("alice:{SHA}secrethash=\n")},
		MaxRequestBodyBytes: 1024,
		IdleTimeoutSeconds:  30,
	})
	p.Sources = []string{"Ingress/shop/admin"}
	docs, err := (&Snapshot{RoutePolicies: []RoutePolicy{p}}).Documents(PrintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := YAML(docs)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("secrethash")) || !bytes.Contains(out, []byte("kind: RoutePolicy")) {
		t.Fatalf("printed:\n%s", out)
	}
	back, err := ParseYAML(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	p.Spec.BasicAuth.Htpasswd = nil
	if diff := cmp.Diff([]RoutePolicy{p}, back.RoutePolicies); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
