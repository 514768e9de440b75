package e2e

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// nginxPolicyIngress is an Ingress of namespace shop for host <name>.example.com, sending / to the
// Service app, with ingress-nginx annotations (keys without prefix).
func nginxPolicyIngress(name string, annotations map[string]string) string {
	var ann strings.Builder
	for k, v := range annotations {
		fmt.Fprintf(&ann, "    nginx.ingress.kubernetes.io/%s: %q\n", k, v)
	}
	return fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: %s
  namespace: shop
  annotations:
%sspec:
  ingressClassName: gatebridge
  rules:
  - host: %s.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}]}
`, name, ann.String(), name)
}

// shaUser is an htpasswd line with a {SHA} hash.
func shaUser(user, password string) string {
	sum := sha1.Sum([]byte(password))
	return user + ":{SHA}" + base64.StdEncoding.EncodeToString(sum[:]) + "\n"
}

// startAuthService runs an auth-url service: it lets through requests bearing "Bearer good" or the
// cookie session=good (answering 200 with X-Auth-Request-User) and answers 401 to others.
func startAuthService(t *testing.T) string {
	t.Helper()
	addr, _ := startRecordingAuthService(t)
	return addr
}

// authCheck is what a check request brought to the auth service.
type authCheck struct {
	Method, Redirect string
	BodyBytes        int
}

// authChecks keeps the last check request of each query of the check URL.
type authChecks struct {
	mu   sync.Mutex
	last map[string]authCheck
}

func (c *authChecks) get(query string) authCheck {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last[query]
}

// startRecordingAuthService is startAuthService that also records each check request.
func startRecordingAuthService(t *testing.T) (string, *authChecks) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	checks := &authChecks{last: map[string]authCheck{}}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		checks.mu.Lock()
		checks.last[r.URL.RawQuery] = authCheck{Method: r.Method, Redirect: r.Header.Get("X-Auth-Request-Redirect"), BodyBytes: len(body)}
		checks.mu.Unlock()
		session, _ := r.Cookie("session")
		if r.URL.Path != "/check" || r.Header.Get("Authorization") != "Bearer good" && (session == nil || session.Value != "good") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Auth-Request-User", "alice")
		w.Header().Set("X-Not-Copied", "1")
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().String(), checks
}

// closedAddr is a loopback address nothing listens on (connections are refused).
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// policyRequest is one request through Envoy's HTTP port from the loopback address from.
type policyRequest struct {
	from, method, host, path string
	header                   map[string]string
	body                     string
	chunked                  bool // send the body without a Content-Length
}

func (h *harness) sendFrom(r policyRequest) (int, http.Header, echo, error) {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(r.from)}}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, fmt.Sprintf("127.0.0.1:%d", h.ports[h.httpPort]))
	}}
	defer tr.CloseIdleConnections()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
		if r.chunked {
			body = io.MultiReader(body) // of unknown length
		}
	}
	req, err := http.NewRequest(r.method, "http://"+r.host+r.path, body)
	if err != nil {
		return 0, nil, echo{}, err
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return roundTrip(client, req)
}

// TestNginxPoliciesThroughEnvoy sends real requests through a real Envoy programmed from Ingresses whose
// ingress-nginx annotations become route policies: source ranges, per-client rate limits, basic
// authentication, an auth-url service, the body size limit and the idle timeout.
func TestNginxPoliciesThroughEnvoy(t *testing.T) {
	app := startBackend(t, "app")
	proxy := startFakeOAuth2Proxy(t)
	authAddr, checks := startRecordingAuthService(t)
	files := map[string]string{
		"oauth2-proxy.yaml": service("shop", "oauth2-proxy", proxy.addr) + "---\n" + oauth2ProxyIngresses(),
		"class.yaml":        ingressClass,
		"app.yaml":          service("shop", "app", app.addr),
		"auth.yaml":         service("shop", "auth", authAddr),
		"plain.yaml":        nginxPolicyIngress("plain", nil),
		"allow.yaml":        nginxPolicyIngress("allow", map[string]string{"allowlist-source-range": "127.0.0.2"}),
		"deny.yaml":         nginxPolicyIngress("deny", map[string]string{"denylist-source-range": "127.0.0.3/32"}),
		"limit.yaml":        nginxPolicyIngress("limit", map[string]string{"limit-rpm": "2", "limit-burst-multiplier": "2"}),
		"exempt.yaml":       nginxPolicyIngress("exempt", map[string]string{"limit-rpm": "2", "limit-burst-multiplier": "2", "limit-allowlist": "127.0.0.6, 10.0.0.0/8"}),
		"basic.yaml":        nginxPolicyIngress("basic", map[string]string{"auth-type": "basic", "auth-secret": "users", "auth-realm": "Staff"}),
		"nouser.yaml":       nginxPolicyIngress("nouser", map[string]string{"auth-type": "basic", "auth-secret": "apr1-only"}),
		"ext.yaml":          nginxPolicyIngress("ext", map[string]string{"auth-url": "http://auth.shop.svc.cluster.local/check", "auth-response-headers": "X-Auth-Request-User"}),
		"deadauth.yaml":     service("shop", "deadauth", closedAddr(t)) + "---\n" + nginxPolicyIngress("deadauth", map[string]string{"auth-url": "http://deadauth.shop.svc.cluster.local/check"}),
		"authmethod.yaml": nginxPolicyIngress("authmethod", map[string]string{"auth-url": "http://auth.shop.svc.cluster.local/check?m=post", "auth-method": "POST",
			"auth-request-redirect": "https://$host/back?to=%2Fhome"}),
		"signin.yaml": nginxPolicyIngress("signin", map[string]string{"auth-url": "http://auth.shop.svc.cluster.local/check", "auth-signin": "https://login.example.com/start?from=gate%2F1"}),
		"body.yaml":   nginxPolicyIngress("body", map[string]string{"proxy-body-size": "1k"}),
		"idle.yaml":   nginxPolicyIngress("idle", map[string]string{"proxy-read-timeout": "1"}),
		"users.yaml":  authSecrets(),
	}
	h := start(t, "ingress-gatebridge", files)
	get, expect := policyClient(t, h)
	t.Run("source ranges", func(t *testing.T) { testSourceRanges(t, expect, get) })
	t.Run("rate limit per client address", func(t *testing.T) { testRateLimit(t, expect, get) })
	t.Run("rate limit allowlist", func(t *testing.T) {
		// A client of limit-allowlist is never limited; the others are, as without it.
		for i := range 8 {
			expect(t, get("127.0.0.6", "exempt", fmt.Sprintf("/%d", i), nil), 200)
		}
		for i := range 4 {
			expect(t, get("127.0.0.7", "exempt", fmt.Sprintf("/%d", i), nil), 200)
		}
		expect(t, get("127.0.0.7", "exempt", "/over", nil), 503)
	})
	t.Run("basic auth", func(t *testing.T) { testBasicAuth(t, expect, get) })
	t.Run("auth-url", func(t *testing.T) {
		_, e := expect(t, get("127.0.0.1", "ext", "/x", map[string]string{"Authorization": "Bearer good"}), 200)
		if got := e.Headers["X-Auth-Request-User"]; len(got) != 1 || got[0] != "alice" || e.Headers["X-Not-Copied"] != nil {
			t.Errorf("the backend got headers %v, want X-Auth-Request-User: alice and no X-Not-Copied", e.Headers)
		}
		expect(t, get("127.0.0.1", "ext", "/x", map[string]string{"Cookie": "session=good"}), 200)
		expect(t, get("127.0.0.1", "ext", "/x", map[string]string{"Authorization": "Bearer bad"}), 401)
		expect(t, get("127.0.0.1", "ext", "/x", nil), 401)
		// The check carries the request's method and, in X-Auth-Request-Redirect, its path; a client's own
		// x-gatebridge-auth-method changes nothing.
		expect(t, get("127.0.0.1", "ext", "/x?y=1", map[string]string{"Authorization": "Bearer good", "X-Gatebridge-Auth-Method": "DELETE"}), 200)
		if got, want := checks.get(""), (authCheck{Method: "GET", Redirect: "/x?y=1"}); got != want {
			t.Errorf("the auth service got %+v, want %+v", got, want)
		}
		// auth-method and auth-request-redirect: a POST check without a body, the configured redirect.
		expect(t, get("127.0.0.1", "authmethod", "/x", map[string]string{"Authorization": "Bearer good"}), 200)
		if got, want := checks.get("m=post"), (authCheck{Method: "POST", Redirect: "https://authmethod.example.com/back?to=%2Fhome"}); got != want {
			t.Errorf("the auth service got %+v, want %+v", got, want)
		}
		expect(t, get("127.0.0.1", "authmethod", "/x", nil), 401)
		// An auth service that cannot be reached: 500, never let through.
		if _, e := expect(t, get("127.0.0.1", "deadauth", "/x", nil), 500); e.Backend != "" {
			t.Errorf("a request reached backend %q without its auth service", e.Backend)
		}
	})
	t.Run("auth-signin", func(t *testing.T) {
		// The auth service's 401 becomes a redirect to the sign-in URL with the original URL in rd.
		hdr, _ := expect(t, get("127.0.0.1", "signin", "/private?a=1", nil), 302)
		want := "https://login.example.com/start?from=gate%2F1&rd=http://signin.example.com/private?a=1"
		if got := hdr.Get("Location"); got != want {
			t.Errorf("Location %q, want %q", got, want)
		}
		expect(t, get("127.0.0.1", "signin", "/private", map[string]string{"Cookie": "session=good"}), 200)
		// Without auth-signin the 401 stays.
		expect(t, get("127.0.0.1", "ext", "/private", nil), 401)
	})
	t.Run("oauth2-proxy", func(t *testing.T) { testOAuth2Proxy(t, expect, get, proxy) })
	t.Run("body size", func(t *testing.T) { testBodySize(t, expect) })
	t.Run("idle timeout", func(t *testing.T) {
		// The backend answers /slow after two seconds: one second of silence resets the stream (504),
		// while a route without the annotation waits.
		expect(t, get("127.0.0.1", "idle", "/slow", nil), 504)
		expect(t, get("127.0.0.1", "plain", "/slow", nil), 200)
	})
}

type expectFunc func(t *testing.T, r policyRequest, want int) (http.Header, echo)

// getFunc makes a GET of <name>.example.com from a client address.
type getFunc func(from, name, path string, header map[string]string) policyRequest

// authSecrets are the basic-auth Secrets of the policy tests: users (alice, with a {SHA} hash) and
// apr1-only (bob, with a hash Envoy cannot check).
func authSecrets() string {
	return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: users, namespace: shop}\ndata: {auth: %s}\n---\n"+
		"apiVersion: v1\nkind: Secret\nmetadata: {name: apr1-only, namespace: shop}\ndata: {auth: %s}\n",
		base64.StdEncoding.EncodeToString([]byte(shaUser("alice", "wonderland"))),
		base64.StdEncoding.EncodeToString([]byte("bob:$apr1$9Cv/OMGj$7Ld5d2q9r2rWmF3sJ6m5h/\n")))
}

// policyClient waits until host body.example.com answers, then returns how the policy tests make a GET
// of <name>.example.com from a client address, and check its status.
func policyClient(t *testing.T, h *harness) (getFunc, expectFunc) {
	get := func(from, name, path string, header map[string]string) policyRequest {
		return policyRequest{from: from, method: http.MethodGet, host: name + ".example.com", path: path, header: header}
	}
	eventually(t, "first configuration", func() error {
		code, _, _, err := h.sendFrom(get("127.0.0.1", "body", "/", nil))
		if err != nil || code != 200 {
			return fmt.Errorf("GET body.example.com: %d %v", code, err)
		}
		return nil
	})
	expect := func(t *testing.T, r policyRequest, want int) (http.Header, echo) {
		t.Helper()
		code, hdr, e, err := h.sendFrom(r)
		if err != nil || code != want {
			t.Errorf("%s %s%s from %s: %d (%v), want %d", r.method, r.host, r.path, r.from, code, err, want)
		}
		return hdr, e
	}
	return get, expect
}

func testSourceRanges(t *testing.T, expect expectFunc, get getFunc) {
	expect(t, get("127.0.0.2", "allow", "/", nil), 200)
	expect(t, get("127.0.0.1", "allow", "/", nil), 403)
	expect(t, get("127.0.0.1", "deny", "/", nil), 200)
	expect(t, get("127.0.0.3", "deny", "/", nil), 403)
	expect(t, get("127.0.0.3", "plain", "/", nil), 200)
}

// testRateLimit checks the limit Ingress or route: two requests a minute, bursts of four: the fifth
// request of a client is refused with 503, while another client still has its own bucket.
func testRateLimit(t *testing.T, expect expectFunc, get getFunc) {
	for i := range 4 {
		expect(t, get("127.0.0.4", "limit", fmt.Sprintf("/%d", i), nil), 200)
	}
	expect(t, get("127.0.0.4", "limit", "/over", nil), 503)
	expect(t, get("127.0.0.5", "limit", "/other-client", nil), 200)
}

// testBodySize checks that body.example.com takes a body of 1024 bytes and refuses one more (413),
// with a Content-Length or chunked, while plain.example.com, without a limit, takes 100 kB.
func testBodySize(t *testing.T, expect expectFunc) {
	post := func(host string, n int) policyRequest {
		return policyRequest{from: "127.0.0.1", method: http.MethodPost, host: host, path: "/upload", body: strings.Repeat("x", n)}
	}
	chunked := func(n int) policyRequest {
		r := post("body.example.com", n)
		r.chunked = true
		return r
	}
	expect(t, post("body.example.com", 1024), 200)
	expect(t, post("body.example.com", 1025), 413)
	expect(t, chunked(1024), 200)
	expect(t, chunked(1025), 413)
	expect(t, post("plain.example.com", 100_000), 200)
}

func testBasicAuth(t *testing.T, expect expectFunc, get getFunc) {
	basic := func(user, password string) map[string]string {
		return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))}
	}
	hdr, _ := expect(t, get("127.0.0.1", "basic", "/", nil), 401)
	if got := hdr.Get("WWW-Authenticate"); !strings.Contains(got, `realm="Staff"`) {
		t.Errorf("WWW-Authenticate = %q, want the realm Staff", got)
	}
	expect(t, get("127.0.0.1", "basic", "/", basic("alice", "wonderland")), 200)
	expect(t, get("127.0.0.1", "basic", "/", basic("alice", "wrong")), 401)
	// A Secret whose only user has a hash Envoy cannot check refuses everyone.
	expect(t, get("127.0.0.1", "nouser", "/", basic("bob", "anything")), 401)
	expect(t, get("127.0.0.1", "nouser", "/", nil), 401)
}
