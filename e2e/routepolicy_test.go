package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// extRefRoute is an HTTPRoute of namespace shop on Gateway web for host <name>.example.com, sending / to
// the Service app, whose rule names the RoutePolicy policy (none when empty).
func extRefRoute(name, policy string) string {
	return refRoute("HTTPRoute", "app", name, policy)
}

// refRoute is a route of kind (HTTPRoute or GRPCRoute) of namespace shop on Gateway web for host
// <name>.example.com, sending everything to port 80 of service, whose rule names the RoutePolicy policy
// (none when empty).
func refRoute(kind, service, name, policy string) string {
	filters := ""
	if policy != "" {
		filters = fmt.Sprintf("\n    filters: [{type: ExtensionRef, extensionRef: {group: gatebridge.dev, kind: RoutePolicy, name: %s}}]", policy)
	}
	return fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: %s
metadata: {name: %s, namespace: shop}
spec:
  parentRefs: [{name: web}]
  hostnames: [%[2]s.example.com]
  rules:
  - backendRefs: [{name: %s, port: 80}]%s
`, kind, name, service, filters)
}

// routePolicy is a RoutePolicy of namespace shop with spec (a YAML flow mapping).
func routePolicy(name, spec string) string {
	return fmt.Sprintf("apiVersion: gatebridge.dev/v1alpha1\nkind: RoutePolicy\nmetadata: {name: %s, namespace: shop}\nspec: %s\n", name, spec)
}

// TestRoutePolicyThroughEnvoy sends real requests through a real Envoy programmed from HTTPRoutes whose
// rules name RoutePolicies: they answer as the ingress-nginx annotations of TestNginxPoliciesThroughEnvoy
// do (403 outside an allow-list or inside a deny-list, 503 over a per-client rate, 401 without valid
// basic credentials, the auth service's verdict or a sign-in redirect, 413 over the body size), and a rule naming a missing
// RoutePolicy answers 500.
func TestRoutePolicyThroughEnvoy(t *testing.T) {
	app := startBackend(t, "app")
	files := map[string]string{
		"gateway.yaml": gatewayManifests,
		"app.yaml":     service("shop", "app", app.addr),
		"auth.yaml":    service("shop", "auth", startAuthService(t)),
		"errors.yaml": service("shop", "statusapp", startStatusBackend(t, "statusapp")) + "---\n" + service("shop", "errorpages", startErrorPages(t)) +
			"---\n" + refRoute("HTTPRoute", "statusapp", "errors", "errors"),
		"routes.yaml": strings.Join([]string{extRefRoute("plain", ""), extRefRoute("allow", "allow"), extRefRoute("deny", "deny"),
			extRefRoute("limit", "limit"), extRefRoute("basic", "basic"), extRefRoute("nouser", "nouser"), extRefRoute("ext", "ext"),
			extRefRoute("body", "body"), extRefRoute("missing", "absent"), extRefRoute("signin", "signin"), extRefRoute("next", "next")}, "---\n"),
		"policies.yaml": strings.Join([]string{
			routePolicy("allow", "{sourceRanges: {allow: [127.0.0.2]}}"),
			routePolicy("deny", "{sourceRanges: {deny: [127.0.0.3/32]}}"),
			routePolicy("limit", "{rateLimits: [{requests: 2, periodSeconds: 60, burst: 4, statusCode: 503}]}"),
			routePolicy("basic", "{basicAuth: {secretName: users, realm: Staff}}"),
			routePolicy("nouser", "{basicAuth: {secretName: apr1-only}}"),
			routePolicy("ext", "{extAuth: {backendRef: {name: auth, port: 80}, path: /check, responseHeaders: [X-Auth-Request-User]}}"),
			routePolicy("signin", `{extAuth: {backendRef: {name: auth, port: 80}, path: /check, signinURL: "https://$host/oauth2/start?rd=$escaped_request_uri"}}`),
			routePolicy("next", `{extAuth: {backendRef: {name: auth, port: 80}, path: /check, signinURL: "$scheme://sso.example.com/start?app=shop", signinParam: next}}`),
			routePolicy("body", "{maxRequestBodyBytes: 1024}"),
			routePolicy("errors", "{customErrors: {codes: [404], backendRef: {name: errorpages, port: 80}}}"),
		}, "---\n"),
		"users.yaml": authSecrets(),
	}
	h := start(t, "gateway-shop-web", files)
	get, expect := policyClient(t, h)
	t.Run("source ranges", func(t *testing.T) { testSourceRanges(t, expect, get) })
	t.Run("rate limit per client address", func(t *testing.T) { testRateLimit(t, expect, get) })
	t.Run("basic auth", func(t *testing.T) { testBasicAuth(t, expect, get) })
	t.Run("external auth", func(t *testing.T) {
		_, e := expect(t, get("127.0.0.1", "ext", "/x", map[string]string{"Authorization": "Bearer good"}), 200)
		if got := e.Headers["X-Auth-Request-User"]; len(got) != 1 || got[0] != "alice" || e.Headers["X-Not-Copied"] != nil {
			t.Errorf("the backend got headers %v, want X-Auth-Request-User: alice and no X-Not-Copied", e.Headers)
		}
		expect(t, get("127.0.0.1", "ext", "/x", map[string]string{"Authorization": "Bearer bad"}), 401)
		expect(t, get("127.0.0.1", "ext", "/x", nil), 401)
	})
	t.Run("sign-in redirect", func(t *testing.T) { testSigninRedirect(t, expect, get) })
	t.Run("body size", func(t *testing.T) { testBodySize(t, expect) })
	t.Run("custom errors", func(t *testing.T) {
		_, e := expect(t, get("127.0.0.1", "errors", "/status/404", nil), 404)
		if e.Backend != "errorpages" || strings.Join(e.Headers["X-Code"], ",") != "404" || strings.Join(e.Headers["X-Original-Uri"], ",") != "/status/404" ||
			strings.Join(e.Headers["X-Namespace"], ",") != "shop" || strings.Join(e.Headers["X-Service-Name"], ",") != "statusapp" {
			t.Errorf("the answer came from %q with headers %v, want the error pages with X-Code, X-Original-URI, X-Namespace, X-Service-Name", e.Backend, e.Headers)
		}
		expect(t, get("127.0.0.1", "errors", "/status/503", nil), 503) // not listed: the backend's own answer
		if _, e := expect(t, get("127.0.0.1", "errors", "/fine", nil), 200); e.Backend != "statusapp" {
			t.Errorf("GET /fine answered by %q, want statusapp", e.Backend)
		}
	})
	t.Run("missing policy", func(t *testing.T) {
		expect(t, get("127.0.0.1", "missing", "/", nil), 500)
		expect(t, get("127.0.0.1", "plain", "/", nil), 200)
	})
}

// testSigninRedirect checks extAuth.signinURL: the auth service's 401 becomes a 302 to the sign-in URL,
// its variables the request's values and the original URL in the parameter (unless the URL's query
// already has it), while a request the auth service lets through reaches the backend.
func testSigninRedirect(t *testing.T, expect expectFunc, get getFunc) {
	for _, tc := range []struct{ name, location string }{
		{"signin", "https://signin.example.com/oauth2/start?rd=/x?y=1"},
		{"next", "http://sso.example.com/start?app=shop&next=http://next.example.com/x?y=1"},
	} {
		hdr, _ := expect(t, get("127.0.0.1", tc.name, "/x?y=1", nil), 302)
		if got := hdr.Get("Location"); got != tc.location {
			t.Errorf("%s: Location %q, want %q", tc.name, got, tc.location)
		}
		if _, e := expect(t, get("127.0.0.1", tc.name, "/x", map[string]string{"Authorization": "Bearer good"}), 200); e.Backend != "app" {
			t.Errorf("%s: a signed-in request answered by %q, want app", tc.name, e.Backend)
		}
	}
}
