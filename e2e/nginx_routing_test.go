package e2e

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/gatebridge/gatebridge/internal/pki"
)

// nginxIngress is the manifest of an Ingress of class gatebridge in shop with one path to port 80 of
// backend, annotated with ingress-nginx annotations (keys without prefix); tlsSecret, when set, serves
// host over HTTPS with that Secret.
func nginxIngress(name, host, path, pathType, backend, tlsSecret string, nginx map[string]string) string {
	var ann []string
	for _, k := range slices.Sorted(maps.Keys(nginx)) {
		ann = append(ann, fmt.Sprintf("nginx.ingress.kubernetes.io/%s: %q", k, nginx[k]))
	}
	tlsSpec := ""
	if tlsSecret != "" {
		tlsSpec = fmt.Sprintf("  tls: [{hosts: [%s], secretName: %s}]\n", host, tlsSecret)
	}
	return fmt.Sprintf(`---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: %s, namespace: shop, annotations: {%s}}
spec:
  ingressClassName: gatebridge
%s  rules:
  - host: %s
    http: {paths: [{path: %q, pathType: %s, backend: {service: {name: %s, port: {number: 80}}}}]}
`, name, strings.Join(ann, ", "), tlsSpec, host, path, pathType, backend)
}

// nginxRoutingIngresses exercise every ingress-nginx routing family that needs no DestinationRule.
var nginxRoutingIngresses = ingressClass +
	nginxIngress("regex", "regex.example.com", "/api/v[0-9]+", "ImplementationSpecific", "api", "", map[string]string{"use-regex": "true"}) +
	nginxIngress("regex-other", "regex.example.com", "/static", "Prefix", "app", "", nil) +
	nginxIngress("rewrite", "rewrite.example.com", "/app(/|$)(.*)", "ImplementationSpecific", "app", "",
		map[string]string{"rewrite-target": "/$2", "app-root": "/app/home", "upstream-vhost": "app.internal", "x-forwarded-prefix": "/app"}) +
	nginxIngress("secure", "secure.example.com", "/", "Prefix", "app", "secure-tls", nil) +
	nginxIngress("optout", "optout.example.com", "/", "Prefix", "app", "optout-tls", map[string]string{"ssl-redirect": "false"}) +
	nginxIngress("forced", "forced.example.com", "/", "Prefix", "app", "", map[string]string{"force-ssl-redirect": "true"}) +
	nginxIngress("moved", "moved.example.com", "/", "Prefix", "app", "", map[string]string{"permanent-redirect": "https://new.example.com/landing"}) +
	nginxIngress("down", "down.example.com", "/", "Prefix", "app", "", map[string]string{"temporal-redirect": "https://status.example.com/", "temporal-redirect-code": "307"}) +
	nginxIngress("primary", "canary.example.com", "/", "Prefix", "stable", "", nil) +
	nginxIngress("primary-api", "canary.example.com", "/api", "Prefix", "stable", "", nil) +
	nginxIngress("canary", "canary.example.com", "/", "Prefix", "beta", "", map[string]string{"canary": "true",
		"canary-by-header": "X-Canary", "canary-by-cookie": "beta_user", "canary-weight": "10"}) +
	nginxIngress("canary-api", "canary.example.com", "/api", "Prefix", "beta", "", map[string]string{"canary": "true",
		"canary-by-header": "X-Version", "canary-by-header-value": "v2"}) +
	nginxIngress("cors", "cors.example.com", "/", "Prefix", "api", "", map[string]string{"enable-cors": "true",
		"cors-allow-origin": "https://app.example.com", "cors-max-age": "600"}) +
	nginxIngress("pass", "pass.example.com", "/", "Prefix", "tls-backend", "", map[string]string{"ssl-passthrough": "true"}) +
	nginxIngress("fallback", "fallback.example.com", "/api", "Prefix", "api", "", map[string]string{"default-backend": "app"}) +
	nginxIngress("alias", "alias.example.com", "/", "Prefix", "app", "alias-tls", map[string]string{"ssl-redirect": "false",
		"server-alias": "alias.example.org, plain-alias.example.org"}) +
	nginxIngress("brand", "brand.example.com", "/", "Prefix", "app", "brand-tls", map[string]string{"ssl-redirect": "false", "from-to-www-redirect": "true"}) +
	nginxIngress("promo", "www.promo.example.com", "/", "Prefix", "app", "", map[string]string{"from-to-www-redirect": "true"}) +
	nginxIngress("mirrored", "mirror.example.com", "/", "Prefix", "app", "", map[string]string{
		"mirror-target": "http://shadow.shop.svc.cluster.local$request_uri", "mirror-host": "mirror-test.example.com"})

// TestNginxRoutingThroughEnvoy sends real requests through a real Envoy programmed from Ingresses
// carrying ingress-nginx annotations, and checks the behaviour ingress-nginx users expect of each.
func TestNginxRoutingThroughEnvoy(t *testing.T) {
	ca := newCA(t, "e2e nginx routing")
	files := map[string]string{"ingress.yaml": nginxRoutingIngresses}
	backends := map[string]*backend{}
	for _, name := range []string{"api", "app", "stable", "beta", "shadow"} {
		backends[name] = startBackend(t, name)
		files[name+".yaml"] = service("shop", name, backends[name].addr)
	}
	files["custom-errors.yaml"] = customErrorsIngresses()
	files["statusapp.yaml"] = service("shop", "statusapp", startStatusBackend(t, "statusapp"))
	files["errorpages.yaml"] = service("shop", "errorpages", startErrorPages(t))
	files["auth.yaml"] = service("shop", "auth", startAuthService(t))
	for _, host := range []string{"secure", "optout", "errors-tls"} {
		files[host+"-tls.yaml"] = tlsSecret("shop", host+"-tls", issueLeaf(t, ca, host+".example.com"))
	}
	aliasLeaf := issueLeaf(t, ca, "alias.example.com", "alias.example.org") // not plain-alias.example.org
	files["alias-tls.yaml"] = tlsSecret("shop", "alias-tls", aliasLeaf)
	brandLeaf := issueLeaf(t, ca, "brand.example.com", "www.brand.example.com")
	files["brand-tls.yaml"] = tlsSecret("shop", "brand-tls", brandLeaf)
	passLeaf := issueLeaf(t, ca, "pass.example.com")
	files["tls-backend.yaml"] = service("shop", "tls-backend", startTLSBackend(t, "tls-backend", leafPair(t, passLeaf)).addr)
	h := start(t, "ingress-gatebridge", files)
	eventually(t, "first configuration", func() error { return h.answers("fallback.example.com", "/api", "api") })

	t.Run("use-regex", func(t *testing.T) { testNginxRegex(t, h) })
	t.Run("rewrite", func(t *testing.T) { testNginxRewrite(t, h) })
	t.Run("redirects", func(t *testing.T) { testNginxRedirects(t, h) })
	t.Run("canary", func(t *testing.T) { testNginxCanary(t, h) })
	t.Run("CORS", func(t *testing.T) { testNginxCORS(t, h, backends["api"]) })
	t.Run("ssl-passthrough reaches the backend's own TLS", func(t *testing.T) {
		eventually(t, "passthrough", func() error { return h.answersTLS("pass.example.com", "/p", "tls-backend", ca, passLeaf.Serial) })
		if _, e, _, err := h.getTLS("pass.example.com", "/p", ca.Pool()); err != nil || !e.TLS {
			t.Errorf("the backend did not terminate TLS itself: %+v %v", e, err)
		}
		h.expectBackend(t, "pass.example.com", "/p", http.StatusNotFound, "", "") // its HTTP paths are not served
	})
	t.Run("custom-http-errors", func(t *testing.T) { testNginxCustomErrors(t, h, ca.Pool()) })
	t.Run("default-backend takes the paths of the host no rule takes", func(t *testing.T) {
		h.expectBackend(t, "fallback.example.com", "/api/x", 200, "api", "/api/x")
		h.expectBackend(t, "fallback.example.com", "/other", 200, "app", "/other")
	})
	t.Run("server-alias", func(t *testing.T) { testNginxAlias(t, h, ca, aliasLeaf) })
	t.Run("from-to-www-redirect", func(t *testing.T) { testNginxWWWRedirect(t, h, ca) })
	t.Run("mirror-target", func(t *testing.T) { testNginxMirror(t, h, backends["shadow"]) })
}

// testNginxAlias checks that an alias answers like its host over HTTP, and over HTTPS with the host's
// certificate when it covers the alias; an alias it does not cover has no HTTPS.
func testNginxAlias(t *testing.T, h *harness, ca *pki.CA, leaf *pki.Leaf) {
	h.expectBackend(t, "alias.example.org", "/a?b=1", 200, "app", "/a?b=1")
	h.expectBackend(t, "plain-alias.example.org", "/a", 200, "app", "/a")
	h.expectBackend(t, "unknown-alias.example.org", "/a", http.StatusNotFound, "", "")
	for _, host := range []string{"alias.example.com", "alias.example.org"} {
		if err := h.answersTLS(host, "/s", "app", ca, leaf.Serial); err != nil {
			t.Error(err)
		}
	}
	if code, _, _, err := h.getTLS("plain-alias.example.org", "/s", ca.Pool()); err == nil {
		t.Errorf("GET https://plain-alias.example.org/s: %d, want no TLS for a name the certificate does not cover", code)
	}
}

// testNginxWWWRedirect checks the redirect (308) from www.<host> to <host> and from <host> to
// www.<host>, keeping scheme, path and query, over HTTP and over HTTPS.
func testNginxWWWRedirect(t *testing.T, h *harness, ca *pki.CA) {
	expectRedirect(t, h, "www.brand.example.com", "/a/b?x=1", http.StatusPermanentRedirect, "http://brand.example.com/a/b?x=1")
	expectRedirect(t, h, "promo.example.com", "/sale", http.StatusPermanentRedirect, "http://www.promo.example.com/sale")
	h.expectBackend(t, "brand.example.com", "/a", 200, "app", "/a")
	h.expectBackend(t, "www.promo.example.com", "/sale", 200, "app", "/sale")
	code, header, err := getTLSNoFollow(h, "www.brand.example.com", "/a?x=1", ca)
	if err != nil || code != http.StatusPermanentRedirect || header.Get("Location") != "https://brand.example.com/a?x=1" {
		t.Errorf("GET https://www.brand.example.com/a?x=1: %d Location %q (%v), want 308 to https://brand.example.com/a?x=1", code, header.Get("Location"), err)
	}
}

// getTLSNoFollow sends a GET over TLS with SNI host to Envoy's HTTPS port, trusting ca, and returns the
// answer without following a redirect.
func getTLSNoFollow(h *harness, host, path string, ca *pki.CA) (int, http.Header, error) {
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{ServerName: host, RootCAs: ca.Pool()},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, fmt.Sprintf("127.0.0.1:%d", h.ports[443]))
		},
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, "https://"+host+path, nil)
	if err != nil {
		return 0, nil, err
	}
	code, header, _, err := roundTrip(&http.Client{Transport: tr, Timeout: 5 * time.Second, CheckRedirect: h.client.CheckRedirect}, req)
	return code, header, err
}

// testNginxMirror checks that the client's answer comes from the Ingress's backend while the mirror
// Service receives a copy of the request, with the same path and query and the mirror-host as Host.
func testNginxMirror(t *testing.T, h *harness, shadow *backend) {
	h.expectBackend(t, "mirror.example.com", "/items?id=3", 200, "app", "/items?id=3")
	want := "mirror-test.example.com /items?id=3"
	eventually(t, "the mirror receives the copy", func() error {
		if got := shadow.seenRequests(); !slices.Contains(got, want) {
			return fmt.Errorf("the mirror received %q, want %q among them", got, want)
		}
		return nil
	})
}

func testNginxRegex(t *testing.T, h *harness) {
	h.expectBackend(t, "regex.example.com", "/API/V2/items", 200, "api", "/API/V2/items") // case-insensitive, a prefix
	h.expectBackend(t, "regex.example.com", "/api/vx", http.StatusNotFound, "", "")
	// The other Ingress of the host gets regex semantics too: case-insensitive string prefix.
	h.expectBackend(t, "regex.example.com", "/STATICfile.css", 200, "app", "/STATICfile.css")
}

func testNginxRewrite(t *testing.T, h *harness) {
	code, _, e, err := h.get("rewrite.example.com", "/app/items/7?page=2", nil)
	switch {
	case err != nil || code != 200:
		t.Fatalf("GET /app/items/7: %d %v", code, err)
	case e.Path != "/items/7?page=2":
		t.Errorf("the backend saw %q, want /items/7?page=2 (rewrite-target /$2)", e.Path)
	case e.Host != "app.internal":
		t.Errorf("the backend saw Host %q, want app.internal (upstream-vhost)", e.Host)
	case strings.Join(e.Headers["X-Forwarded-Prefix"], ",") != "/app":
		t.Errorf("X-Forwarded-Prefix %q, want /app", e.Headers["X-Forwarded-Prefix"])
	}
	h.expectBackend(t, "rewrite.example.com", "/app", 200, "app", "/")
	expectRedirect(t, h, "rewrite.example.com", "/", http.StatusFound, "http://rewrite.example.com/app/home")
}

func testNginxRedirects(t *testing.T, h *harness) {
	expectRedirect(t, h, "secure.example.com", "/cart?id=1", http.StatusPermanentRedirect, "https://secure.example.com/cart?id=1")
	h.expectBackend(t, "optout.example.com", "/cart", 200, "app", "/cart")
	expectRedirect(t, h, "forced.example.com", "/x", http.StatusPermanentRedirect, "https://forced.example.com/x")
	expectRedirect(t, h, "moved.example.com", "/any/path", http.StatusMovedPermanently, "https://new.example.com/landing")
	expectRedirect(t, h, "down.example.com", "/any", http.StatusTemporaryRedirect, "https://status.example.com/")
}

// expectRedirect checks that a GET through Envoy's HTTP port answers code with a Location that is
// location, or starts with it followed by a query when location has none.
func expectRedirect(t *testing.T, h *harness, host, path string, code int, location string) {
	t.Helper()
	got, header, _, err := h.get(host, path, nil)
	if err != nil || got != code || header.Get("Location") != location {
		t.Errorf("GET http://%s%s: %d Location %q (%v), want %d Location %q", host, path, got, header.Get("Location"), err, code, location)
	}
}

func testNginxCanary(t *testing.T, h *harness) {
	cases := []struct {
		name, path string
		header     map[string]string
		backend    string
	}{
		{"header always", "/", map[string]string{"X-Canary": "always"}, "beta"},
		{"header never wins over the cookie", "/", map[string]string{"X-Canary": "never", "Cookie": "beta_user=always"}, "stable"},
		{"cookie always", "/", map[string]string{"Cookie": "a=b; beta_user=always"}, "beta"},
		{"another cookie's value is not ours", "/", map[string]string{"Cookie": "xbeta_user=always; beta_user=never"}, "stable"},
		{"header value", "/api/x", map[string]string{"X-Version": "v2"}, "beta"},
		{"another header value", "/api/x", map[string]string{"X-Version": "v3"}, "stable"},
	}
	for _, tc := range cases {
		code, _, e, err := h.get("canary.example.com", tc.path, tc.header)
		if err != nil || code != 200 || e.Backend != tc.backend {
			t.Errorf("%s: %d from %q (%v), want 200 from %s", tc.name, code, e.Backend, err, tc.backend)
		}
	}
	counts := map[string]int{}
	for range 200 {
		_, _, e, err := h.get("canary.example.com", "/w", nil)
		if err != nil {
			t.Fatal(err)
		}
		counts[e.Backend]++
	}
	// canary-weight 10: 20 expected of 200, within 4 standard deviations of a binomial(200, 0.1).
	if beta := counts["beta"]; beta < 3 || beta > 37 || beta+counts["stable"] != 200 {
		t.Errorf("counts %v, want about 20 to beta and the rest to stable", counts)
	}
}

func testNginxCORS(t *testing.T, h *harness, api *backend) {
	preflight := map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"}
	code, header, _, err := h.request(http.MethodOptions, "cors.example.com", "/preflight-allowed", preflight)
	switch {
	case err != nil || code != 200:
		t.Errorf("preflight: %d %v, want 200 from the gateway", code, err)
	case header.Get("Access-Control-Allow-Origin") != "https://app.example.com":
		t.Errorf("Access-Control-Allow-Origin %q", header.Get("Access-Control-Allow-Origin"))
	case !strings.Contains(header.Get("Access-Control-Allow-Methods"), "PUT") || header.Get("Access-Control-Max-Age") != "600":
		t.Errorf("preflight headers %v: want nginx's default methods and max-age 600", header)
	case header.Get("Access-Control-Allow-Credentials") != "true":
		t.Errorf("Access-Control-Allow-Credentials %q, want true (nginx's default)", header.Get("Access-Control-Allow-Credentials"))
	}
	preflight["Origin"] = "https://evil.example.com"
	code, header, _, err = h.request(http.MethodOptions, "cors.example.com", "/preflight-denied", preflight)
	if err != nil || header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %d %v %v, want no CORS headers", code, header, err)
	}
	for _, p := range api.seen() {
		if strings.HasPrefix(p, "/preflight") {
			t.Errorf("the backend saw preflight %s: the gateway must answer it", p)
		}
	}
}

// TestNginxBackendsThroughEnvoy checks the ingress-nginx annotations that become DestinationRule
// subsets, through a real Envoy to real backends: backend-protocol HTTPS (unverified by default, or
// verified with proxy-ssl-*), GRPC, cookie affinity, and proxy-connect-timeout with
// proxy-next-upstream-tries, upstream-hash-by, load-balance and proxy-next-upstream.
func TestNginxBackendsThroughEnvoy(t *testing.T) {
	backendCA, otherCA := newCA(t, "nginx backends"), newCA(t, "nginx other")
	secure := startTLSBackend(t, "secure", keyPair(t, backendCA, "secure.internal"))
	one, two := startBackend(t, "one"), startBackend(t, "two")
	verified := map[string]string{"backend-protocol": "HTTPS", "proxy-ssl-secret": "shop/backend-ca", "proxy-ssl-verify": "on",
		"proxy-ssl-name": "secure.internal", "proxy-ssl-server-name": "on"}
	wrongCA := maps.Clone(verified)
	wrongCA["proxy-ssl-secret"] = "shop/other-ca"
	wrongName := maps.Clone(verified)
	wrongName["proxy-ssl-name"] = "other.internal"
	files := map[string]string{
		"ingress.yaml": ingressClass +
			nginxIngress("https", "https.example.com", "/", "Prefix", "secure", "", map[string]string{"backend-protocol": "HTTPS"}) +
			nginxIngress("verified", "verified.example.com", "/", "Prefix", "secure", "", verified) +
			nginxIngress("wrong-ca", "wrong-ca.example.com", "/", "Prefix", "secure", "", wrongCA) +
			nginxIngress("wrong-name", "wrong-name.example.com", "/", "Prefix", "secure", "", wrongName) +
			nginxIngress("grpc", "grpc.example.com", "/", "Prefix", "grpc", "", map[string]string{"backend-protocol": "GRPC"}) +
			nginxIngress("sticky", "sticky.example.com", "/", "Prefix", "pair", "", map[string]string{"affinity": "cookie",
				"session-cookie-name": "route", "session-cookie-max-age": "3600"}) +
			nginxIngress("plain", "plain.example.com", "/", "Prefix", "pair", "", nil) +
			nginxIngress("slow", "slow.example.com", "/", "Prefix", "blackhole", "", map[string]string{"proxy-connect-timeout": "1",
				"proxy-next-upstream-tries": "2"}),
		"secure.yaml":    service("shop", "secure", secure.addr),
		"grpc.yaml":      service("shop", "grpc", startGRPCBackend(t)),
		"pair.yaml":      service("shop", "pair", one.addr+","+two.addr),
		"blackhole.yaml": service("shop", "blackhole", blackhole(t)),
		"ca.yaml":        caSecret("shop", "backend-ca", backendCA) + "---\n" + caSecret("shop", "other-ca", otherCA),
	}
	lbFiles, slow := startNginxLoadBalanceBackends(t)
	maps.Copy(files, lbFiles)
	files["ingress.yaml"] += nginxLoadBalanceIngresses
	h := start(t, "ingress-gatebridge", files)
	eventually(t, "first configuration", func() error { return h.answers("plain.example.com", "/", "one") })

	t.Run("HTTPS is not verified by default", func(t *testing.T) {
		eventually(t, "https", func() error { return h.answers("https.example.com", "/x", "secure") })
		if _, _, e, err := h.get("https.example.com", "/x", nil); err != nil || !e.TLS {
			t.Errorf("the backend did not get TLS (TLS %t, %v)", e.TLS, err)
		}
	})
	t.Run("proxy-ssl-verify checks the CA and the name", func(t *testing.T) {
		eventually(t, "verified", func() error { return h.answers("verified.example.com", "/x", "secure") })
		h.expectBackend(t, "wrong-ca.example.com", "/x", http.StatusServiceUnavailable, "", "")
		h.expectBackend(t, "wrong-name.example.com", "/x", http.StatusServiceUnavailable, "", "")
	})
	t.Run("GRPC speaks HTTP/2 to a Service without appProtocol", func(t *testing.T) {
		checkGRPCHealth(t, h, "grpc.example.com")
	})
	t.Run("cookie affinity", func(t *testing.T) { checkNginxAffinity(t, h) })
	t.Run("connect timeout and tries", func(t *testing.T) { checkNginxConnectTimeout(t, h) })
	t.Run("upstream-hash-by a header", func(t *testing.T) { checkNginxHash(t, h, "by-header.example.com", hashByHeader) })
	t.Run("upstream-hash-by the request URI", func(t *testing.T) { checkNginxHash(t, h, "by-uri.example.com", hashByURI) })
	t.Run("load-balance ewma is least request", func(t *testing.T) { checkNginxLeastRequest(t, h, slow) })
	t.Run("proxy-next-upstream", func(t *testing.T) { checkNginxNextUpstream(t, h) })
	t.Run("a canary's own upstream-hash-by", func(t *testing.T) { checkNginxCanaryHash(t, h) })
	t.Run("default retries of refused connections", func(t *testing.T) { checkNginxDefaultRetries(t, h) })
}

// caSecret is the manifest of an Opaque Secret holding the certificate of ca as ca.crt.
func caSecret(namespace, name string, ca *pki.CA) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: %s, namespace: %s}\ntype: Opaque\ndata: {ca.crt: %s}\n",
		name, namespace, base64.StdEncoding.EncodeToString(ca.CertPEM))
}

// checkGRPCHealth calls the standard gRPC health service through Envoy's HTTP port for host.
func checkGRPCHealth(t *testing.T, h *harness, host string) {
	t.Helper()
	cc, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", h.ports[80]),
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithAuthority(host))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || resp.Status != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("Check through Envoy: %v %v, want SERVING", resp, err)
	}
}

// checkNginxAffinity checks that the Service's two backends both take plain requests, and that the
// cookie Envoy sets for the sticky Ingress (name and Max-Age from the annotations) keeps a client on one.
func checkNginxAffinity(t *testing.T, h *harness) {
	seen := map[string]int{}
	for range 20 {
		_, _, e, err := h.get("plain.example.com", "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		seen[e.Backend]++
	}
	if seen["one"] == 0 || seen["two"] == 0 {
		t.Fatalf("round robin reached %v, want both backends (else stickiness proves nothing)", seen)
	}
	code, header, first, err := h.get("sticky.example.com", "/", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("first request: %d %v", code, err)
	}
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: header}).Cookies() {
		if c.Name == "route" {
			cookie = c
		}
	}
	if cookie == nil || cookie.MaxAge != 3600 || cookie.Path != "/" {
		t.Fatalf("Set-Cookie %v, want route with Max-Age=3600 and Path=/", header.Values("Set-Cookie"))
	}
	for i := range 20 {
		_, _, e, err := h.get("sticky.example.com", "/", map[string]string{"Cookie": "route=" + cookie.Value})
		if err != nil || e.Backend != first.Backend {
			t.Fatalf("request %d with the cookie went to %q (%v), want %q", i, e.Backend, err, first.Backend)
		}
	}
}

// checkNginxConnectTimeout sends a request to a backend that never completes a connection: with
// proxy-connect-timeout 1 and 2 tries, Envoy answers 503 after two connect timeouts and one retry,
// before the client gives up after 4 s (Envoy's default timeout, 5 s, would not).
func checkNginxConnectTimeout(t *testing.T, h *harness) {
	client := &http.Client{Timeout: 4 * time.Second}
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/", h.ports[80]), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "slow.example.com"
	if code, _, _, err := roundTrip(client, req); err != nil || code != http.StatusServiceUnavailable {
		t.Fatalf("GET slow.example.com: %d %v, want 503 from the connect timeouts", code, err)
	}
	cluster := "cluster.outbound|80|ing-shop-slow|blackhole.shop.svc.cluster.local."
	for stat, want := range map[string]int{"upstream_cx_connect_timeout": 2, "upstream_rq_retry": 1} {
		if got, err := h.stat(cluster + stat); err != nil || got != want {
			t.Errorf("%s: %d (%v), want %d", stat, got, err, want)
		}
	}
}
