package e2e

import (
	"cmp"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatebridge/gatebridge/envoyxds"
)

// gatewayClass is our GatewayClass, which every Gateway of the tests uses.
const gatewayClass = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gatebridge}
spec: {controllerName: gatebridge.dev/gateway-controller}
`

const gatewayManifests = gatewayClass + `---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: shop}
spec:
  gatewayClassName: gatebridge
  listeners: [{name: http, protocol: HTTP, port: 80}]
`

func services(backends map[string]string) string {
	var b strings.Builder
	for name, addr := range backends {
		b.WriteString("---\n" + service("shop", name, addr))
	}
	return b.String()
}

const shopRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs: [{name: web}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs: [{name: api, port: 80}]
  - matches: [{path: {type: Exact, value: /exact}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: x-gatebridge, value: set}]}
    - type: ResponseHeaderModifier
      responseHeaderModifier: {add: [{name: x-served-by, value: gatebridge}]}
    backendRefs: [{name: api, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /}, headers: [{name: x-canary, value: "1"}]}]
    backendRefs: [{name: frontend-v2, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /old}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {statusCode: 301, path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}
  - matches: [{path: {type: PathPrefix, value: /strip}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}, hostname: internal.example.com}
    backendRefs: [{name: api, port: 80}]
  - matches: [{path: {type: RegularExpression, value: "/items/[0-9]+"}, queryParams: [{name: view, value: full}], method: GET}]
    backendRefs: [{name: api, port: 80}]
  - backendRefs:
    - {name: frontend-v1, port: 80, weight: 90}
    - {name: frontend-v2, port: 80, weight: 10}
`

// moreRoute holds the match and filter variants shopRoute does not: regex header and query matches,
// redirects of scheme, host, port and code, a full-path rewrite, header add and remove.
const moreRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: more, namespace: shop}
spec:
  parentRefs: [{name: web}]
  hostnames: [more.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /hdr}, headers: [{name: x-version, type: RegularExpression, value: "v[0-9]+"}]}]
    backendRefs: [{name: frontend-v2, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /q}, queryParams: [{name: id, type: RegularExpression, value: "[a-f]+"}]}]
    backendRefs: [{name: frontend-v2, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /secure}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {scheme: https, hostname: www.example.com, port: 8443, statusCode: 302}
  - matches: [{path: {type: PathPrefix, value: /full}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /replaced}}
    - type: RequestHeaderModifier
      requestHeaderModifier: {add: [{name: x-added, value: "1"}], remove: [x-drop]}
    - type: ResponseHeaderModifier
      responseHeaderModifier: {set: [{name: content-type, value: application/json; charset=utf-8}], remove: [x-backend]}
    backendRefs: [{name: api, port: 80}]
  - backendRefs: [{name: frontend-v1, port: 80}]
`

// TestGatewayAPIThroughEnvoy sends real requests through a real Envoy programmed from Gateway API
// manifests, then edits them live and finally pushes an update Envoy rejects; once with state-of-the-
// world ADS and once with delta ADS.
func TestGatewayAPIThroughEnvoy(t *testing.T) {
	t.Run("sotw", func(t *testing.T) { testGatewayAPI(t) })
	t.Run("delta", func(t *testing.T) { testGatewayAPI(t, deltaXDS) })
}

func testGatewayAPI(t *testing.T, options ...func(*envoyxds.BootstrapOptions)) {
	backends := map[string]string{}
	for _, name := range []string{"api", "frontend-v1", "frontend-v2"} {
		backends[name] = startBackend(t, name).addr
	}
	h := start(t, "gateway-shop-web", map[string]string{
		"gateway.yaml": gatewayManifests + services(backends),
		"route.yaml":   shopRoute,
		"more.yaml":    moreRoute,
	}, options...)
	const host = "shop.example.com"
	eventually(t, "first configuration", func() error { return h.answers(host, "/api/items", "api") })

	cases := []struct {
		name, path    string
		host          string // default: shop.example.com
		header        map[string]string
		code          int
		backend, seen string // backend, and the path it saw
		check         func(t *testing.T, hdr map[string][]string, e echo)
	}{
		{name: "prefix takes whole segments", path: "/api/v1/items", code: 200, backend: "api", seen: "/api/v1/items"},
		{name: "prefix takes itself", path: "/api", code: 200, backend: "api"},
		{name: "prefix does not take /apix", path: "/apix", code: 200, seen: "/apix", check: func(t *testing.T, _ map[string][]string, e echo) {
			if !strings.HasPrefix(e.Backend, "frontend") {
				t.Errorf("/apix went to %s, want a frontend", e.Backend)
			}
		}},
		{name: "exact with header modifiers", path: "/exact", code: 200, backend: "api", check: func(t *testing.T, hdr map[string][]string, e echo) {
			if got := e.Headers["X-Gatebridge"]; len(got) != 1 || got[0] != "set" {
				t.Errorf("request header x-gatebridge = %v, want set", got)
			}
			if got := hdr["X-Served-By"]; len(got) != 1 || got[0] != "gatebridge" {
				t.Errorf("response header x-served-by = %v, want gatebridge", got)
			}
		}},
		{name: "exact does not take a longer path", path: "/exact/more", code: 200, check: func(t *testing.T, _ map[string][]string, e echo) {
			if e.Backend == "api" {
				t.Errorf("/exact/more went to the exact route")
			}
		}},
		{name: "header match", path: "/anything", header: map[string]string{"x-canary": "1"}, code: 200, backend: "frontend-v2"},
		{name: "redirect replaces the prefix", path: "/old/page?q=1", code: 301, check: func(t *testing.T, hdr map[string][]string, _ echo) {
			if loc := strings.Join(hdr["Location"], ","); !strings.HasSuffix(loc, "/new/page?q=1") || !strings.Contains(loc, host) {
				t.Errorf("Location = %q, want .../new/page?q=1 on %s", loc, host)
			}
		}},
		{name: "rewrite strips the prefix and sets the host", path: "/strip/deep/path", code: 200, backend: "api", seen: "/deep/path", check: func(t *testing.T, _ map[string][]string, e echo) {
			if e.Host != "internal.example.com" {
				t.Errorf("backend saw host %q, want internal.example.com", e.Host)
			}
		}},
		{name: "regex, query and method", path: "/items/42?view=full", code: 200, backend: "api"},
		{name: "regex is a full match", path: "/items/42x?view=full", code: 200, check: func(t *testing.T, _ map[string][]string, e echo) {
			if e.Backend == "api" {
				t.Errorf("/items/42x matched the regex route")
			}
		}},
		{name: "header regex match", host: "more.example.com", path: "/hdr", header: map[string]string{"x-version": "v12"}, code: 200, backend: "frontend-v2"},
		{name: "header regex is a full match", host: "more.example.com", path: "/hdr", header: map[string]string{"x-version": "v12x"}, code: 200, backend: "frontend-v1"},
		{name: "query regex match", host: "more.example.com", path: "/q?id=beef", code: 200, backend: "frontend-v2"},
		{name: "query regex mismatch", host: "more.example.com", path: "/q?id=xyz", code: 200, backend: "frontend-v1"},
		{name: "redirect of scheme, host, port and code", host: "more.example.com", path: "/secure/a?b=1", code: 302, check: func(t *testing.T, hdr map[string][]string, _ echo) {
			if loc := strings.Join(hdr["Location"], ","); loc != "https://www.example.com:8443/secure/a?b=1" {
				t.Errorf("Location = %q, want https://www.example.com:8443/secure/a?b=1", loc)
			}
		}},
		{name: "full path rewrite and header add, remove", host: "more.example.com", path: "/full/deep?x=1", header: map[string]string{"x-drop": "1"}, code: 200, backend: "api", seen: "/replaced?x=1",
			check: func(t *testing.T, hdr map[string][]string, e echo) {
				if e.Headers["X-Added"] == nil || e.Headers["X-Drop"] != nil {
					t.Errorf("backend saw x-added %v and x-drop %v, want 1 and none", e.Headers["X-Added"], e.Headers["X-Drop"])
				}
				if hdr["X-Backend"] != nil || strings.Join(hdr["Content-Type"], ",") != "application/json; charset=utf-8" {
					t.Errorf("response x-backend %v, content-type %v: want no x-backend and the set content-type", hdr["X-Backend"], hdr["Content-Type"])
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			host := cmp.Or(tc.host, host)
			code, hdr, e, err := h.get(host, tc.path, tc.header)
			if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Fatalf("GET %s: status %d, want %d", tc.path, code, tc.code)
			}
			if tc.backend != "" && e.Backend != tc.backend {
				t.Errorf("GET %s went to %q, want %q", tc.path, e.Backend, tc.backend)
			}
			if tc.seen != "" && e.Path != tc.seen {
				t.Errorf("backend saw path %q, want %q", e.Path, tc.seen)
			}
			if tc.check != nil {
				tc.check(t, hdr, e)
			}
		})
	}

	t.Run("unknown host gets 404", func(t *testing.T) {
		if code, _, _, err := h.get("other.example.com", "/", nil); err != nil || code != 404 {
			t.Errorf("status %d (%v), want 404", code, err)
		}
	})

	t.Run("weights 90/10 over 200 requests", func(t *testing.T) {
		counts := map[string]int{}
		for range 200 {
			_, _, e, err := h.get(host, "/", nil)
			if err != nil {
				t.Fatal(err)
			}
			counts[e.Backend]++
		}
		checkNinetyTen(t, counts)
	})

	pid := h.envoy.Pid()
	t.Run("an edit applies without restart", func(t *testing.T) {
		h.write("added.yaml", httpRoute("added", "web", "added.example.com", "api"))
		eventually(t, "new route", func() error { return h.answers("added.example.com", "/x", "api") })
		if h.envoy.Pid() != pid || !h.envoy.Running() {
			t.Errorf("Envoy was restarted")
		}
	})

	t.Run("an update Envoy rejects leaves the last good configuration serving", func(t *testing.T) {
		before := h.sa.Server.Version("gateway-shop-web")
		// RE2 accepts this expression, but its program is larger than Envoy's default limit (100).
		h.write("rejected.yaml", `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: rejected, namespace: shop}
spec:
  parentRefs: [{name: web}]
  hostnames: [rejected.example.com]
  rules:
  - matches: [{path: {type: RegularExpression, value: "/(alpha|beta|gamma|delta|epsilon|zeta|eta|theta){1,12}[0-9a-f]{32}"}}]
    backendRefs: [{name: api, port: 80}]
`)
		eventually(t, "the rejection is recorded", func() error {
			for _, f := range h.sa.Server.Status() {
				for _, n := range f.Nodes {
					if f.Fleet == "gateway-shop-web" && n.NackText != "" {
						return nil
					}
				}
			}
			return fmt.Errorf("no NACK recorded (served version %s, was %s)", h.sa.Server.Version("gateway-shop-web"), before)
		})
		time.Sleep(time.Second) // a resend loop would NACK hundreds of times meanwhile
		for _, f := range h.sa.Server.Status() {
			for _, n := range f.Nodes {
				if n.Nacks > 3 {
					t.Errorf("node %s NACKed %d times: the rejected version is being resent", n.Node, n.Nacks)
				}
			}
		}
		if v := h.sa.Server.Version("gateway-shop-web"); v != before {
			t.Errorf("served version %s after the NACK, want the last good %s", v, before)
		}
		for _, probe := range []struct{ host, path, backend string }{{"added.example.com", "/", "api"}, {host, "/api/x", "api"}} {
			if err := h.answers(probe.host, probe.path, probe.backend); err != nil {
				t.Errorf("after the rejected update: %v", err)
			}
		}
	})
}
