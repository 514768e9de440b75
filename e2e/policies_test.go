package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

const policyRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: policies, namespace: shop}
spec:
  parentRefs: [{name: web}]
  hostnames: [policies.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /mirror}}]
    filters:
    - type: RequestMirror
      requestMirror: {backendRef: {name: mirror, port: 80}}
    backendRefs: [{name: api, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /cors}}]
    filters:
    - type: CORS
      cors:
        allowOrigins: ["https://app.example.com"]
        allowMethods: [GET, PUT]
        allowHeaders: [x-token]
        maxAge: 600
    backendRefs: [{name: api, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /slow}}]
    timeouts: {request: 500ms}
    backendRefs: [{name: api, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /retried/flaky}}]
    retry: {codes: [500], attempts: 2, backoff: 10ms}
    backendRefs: [{name: retried, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /plain/flaky}}]
    backendRefs: [{name: plain, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /half}}]
    backendRefs:
    - {name: api, port: 80, weight: 50}
    - {name: does-not-exist, port: 80, weight: 50}
`

// TestPoliciesThroughEnvoy checks, through a real Envoy, what HTTPRoute asks beyond matching: mirrors,
// CORS, request timeouts, retries, and 500 for the share of a backend that does not resolve.
func TestPoliciesThroughEnvoy(t *testing.T) {
	files := map[string]string{"gateway.yaml": gatewayManifests, "route.yaml": policyRoute}
	backends := map[string]*backend{}
	for _, name := range []string{"api", "mirror", "retried", "plain"} {
		backends[name] = startBackend(t, name)
		files[name+".yaml"] = service("shop", name, backends[name].addr)
	}
	h := start(t, "gateway-shop-web", files)
	const host = "policies.example.com"
	eventually(t, "first configuration", func() error { return h.answers(host, "/mirror/first", "api") })

	t.Run("mirror gets a copy of each request", func(t *testing.T) {
		h.expectBackend(t, host, "/mirror/copy", 200, "api", "/mirror/copy")
		eventually(t, "mirrored request", func() error {
			if !slices.Contains(backends["mirror"].seen(), "/mirror/copy") {
				return fmt.Errorf("the mirror saw %v", backends["mirror"].seen())
			}
			return nil
		})
	})

	t.Run("CORS preflight from an allowed origin", func(t *testing.T) {
		code, hdr, _, err := h.request(http.MethodOptions, host, "/cors/x", map[string]string{
			"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-token",
		})
		if err != nil || code != 200 {
			t.Fatalf("preflight: %d %v", code, err)
		}
		for k, want := range map[string]string{
			"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Methods": "GET,PUT",
			"Access-Control-Allow-Headers": "x-token", "Access-Control-Max-Age": "600",
		} {
			if got := hdr.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
	})
	t.Run("CORS preflight from another origin is answered by Envoy, not forwarded", func(t *testing.T) {
		code, hdr, e, err := h.request(http.MethodOptions, host, "/cors/x", map[string]string{
			"Origin": "https://evil.example.net", "Access-Control-Request-Method": "PUT",
		})
		if err != nil || code != 200 || e.Backend != "" {
			t.Fatalf("preflight: %d from backend %q %v, want 200 from Envoy itself", code, e.Backend, err)
		}
		if got := hdr.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Access-Control-Allow-Origin = %q for a foreign origin", got)
		}
	})
	t.Run("CORS from another origin gets no allow header", func(t *testing.T) {
		code, hdr, e, err := h.request(http.MethodGet, host, "/cors/x", map[string]string{"Origin": "https://evil.example.net"})
		if err != nil || code != 200 || e.Backend != "api" {
			t.Fatalf("GET: %d %q %v", code, e.Backend, err)
		}
		if got := hdr.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Access-Control-Allow-Origin = %q for a foreign origin", got)
		}
	})

	t.Run("request timeout answers 504", func(t *testing.T) {
		// Envoy answers 504 only when the route's timeout fires before the backend answers.
		code, _, _, err := h.get(host, "/slow/x", nil)
		if err != nil || code != http.StatusGatewayTimeout {
			t.Errorf("GET /slow/x: %d %v, want 504 (the backend takes 2 s, the route allows 500 ms)", code, err)
		}
	})

	t.Run("retries hide a backend failing every other time", func(t *testing.T) {
		for i := range 10 {
			h.expectBackend(t, host, fmt.Sprintf("/retried/flaky/%d", i), 200, "retried", "")
		}
		if n := len(backends["retried"].seen()); n != 20 {
			t.Errorf("the backend was asked %d times for 10 requests, want 20 (each first try fails once)", n)
		}
		failures := 0
		for i := range 10 {
			if code, _, _, err := h.get(host, fmt.Sprintf("/plain/flaky/%d", i), nil); err == nil && code == 500 {
				failures++
			}
		}
		if failures != 5 {
			t.Errorf("without retries %d of 10 requests failed, want 5", failures)
		}
	})

	t.Run("unresolved backend share answers 500", func(t *testing.T) {
		codes := map[int]int{}
		for range 100 {
			code, _, _, err := h.get(host, "/half", nil)
			if err != nil {
				t.Fatal(err)
			}
			codes[code]++
		}
		// 50 of each expected; a count under 20 is 6 standard deviations off.
		if codes[200] < 20 || codes[500] < 20 || codes[200]+codes[500] != 100 {
			t.Errorf("status counts %v, want about half 200 and half 500", codes)
		}
	})
}
