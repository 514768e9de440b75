package e2e

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
)

// fakeOAuth2Proxy stands for oauth2-proxy behind ingress-nginx's external auth: /oauth2/auth answers
// with X-Auth-Request-User and -Email 200 to a request with the cookie _oauth2_proxy=alice, 202 (what the
// real oauth2-proxy answers) to _oauth2_proxy=accepted and 204 to _oauth2_proxy=empty; it answers 403 to
// _oauth2_proxy=banned and 401 to others; /oauth2/start answers 200. It records the last check request.
type fakeOAuth2Proxy struct {
	addr  string
	mu    sync.Mutex
	check *http.Request
}

func startFakeOAuth2Proxy(t *testing.T) *fakeOAuth2Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeOAuth2Proxy{addr: l.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(p.serve)}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return p
}

func (p *fakeOAuth2Proxy) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/oauth2/auth":
		p.mu.Lock()
		p.check = r.Clone(r.Context())
		p.mu.Unlock()
		status := map[string]int{"alice": http.StatusOK, "accepted": http.StatusAccepted, "empty": http.StatusNoContent, "banned": http.StatusForbidden}
		c, err := r.Cookie("_oauth2_proxy")
		if err != nil || status[c.Value] == 0 {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Auth-Request-User", "alice")
		w.Header().Set("X-Auth-Request-Email", "alice@example.com")
		w.WriteHeader(status[c.Value])
	case "/oauth2/start":
		fmt.Fprintf(w, "sign in, then back to %s\n", r.URL.Query().Get("rd"))
	default:
		http.NotFound(w, r)
	}
}

func (p *fakeOAuth2Proxy) lastCheck() *http.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.check
}

// oauth2ProxyIngresses are oauth2-proxy's documented ingress-nginx setup for host dash.example.com: the
// dashboard Ingress asks https://$host/oauth2/auth, and a second Ingress of the host routes /oauth2 to
// the oauth2-proxy Service.
func oauth2ProxyIngresses() string {
	return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: dash
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/auth-url: "https://$host/oauth2/auth"
    nginx.ingress.kubernetes.io/auth-signin: "https://$host/oauth2/start?rd=$escaped_request_uri"
    nginx.ingress.kubernetes.io/auth-response-headers: "X-Auth-Request-User,X-Auth-Request-Email"
spec:
  ingressClassName: gatebridge
  rules:
  - host: dash.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: oauth2-proxy
  namespace: shop
spec:
  ingressClassName: gatebridge
  rules:
  - host: dash.example.com
    http: {paths: [{path: /oauth2, pathType: Prefix, backend: {service: {name: oauth2-proxy, port: {number: 80}}}}]}
`
}

// testOAuth2Proxy checks oauth2-proxy's pattern: without the cookie a 302 to the sign-in page with the
// original path in rd; /oauth2 itself without authentication; with the cookie the dashboard, with the
// user's headers; the check request carries ingress-nginx's headers.
func testOAuth2Proxy(t *testing.T, expect expectFunc, get getFunc, proxy *fakeOAuth2Proxy) {
	hdr, _ := expect(t, get("127.0.0.1", "dash", "/private?a=1", nil), 302)
	if got, want := hdr.Get("Location"), "https://dash.example.com/oauth2/start?rd=/private?a=1"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	expect(t, get("127.0.0.1", "dash", "/oauth2/start?rd=/private", nil), 200)
	// Any 2xx of the auth service lets the request through with its headers, as nginx does: 200, the
	// 202 of the real oauth2-proxy, 204. A client's own x-gatebridge-auth-cluster changes nothing.
	for _, session := range []string{"alice", "accepted", "empty"} {
		hdr := map[string]string{"Cookie": "_oauth2_proxy=" + session, "X-Gatebridge-Auth-Cluster": "outbound|80||app.shop.svc.cluster.local"}
		_, e := expect(t, get("127.0.0.1", "dash", "/private", hdr), 200)
		if e.Backend != "app" || len(e.Headers["X-Auth-Request-User"]) != 1 || e.Headers["X-Auth-Request-User"][0] != "alice" {
			t.Errorf("%s: backend %q got headers %v, want app with X-Auth-Request-User: alice", session, e.Backend, e.Headers)
		}
	}
	// A 403 goes back to the client; the dashboard is not reached.
	if _, e := expect(t, get("127.0.0.1", "dash", "/private", map[string]string{"Cookie": "_oauth2_proxy=banned"}), 403); e.Backend != "" {
		t.Errorf("a 403 of the auth service reached backend %q", e.Backend)
	}
	check := proxy.lastCheck()
	if check == nil {
		t.Fatal("oauth2-proxy got no check request")
	}
	for k, want := range map[string]string{"X-Original-URL": "http://dash.example.com/private", "X-Original-Method": "GET",
		"X-Auth-Request-Redirect": "/private", "X-Sent-From": "nginx-ingress-controller"} {
		if got := check.Header.Get(k); got != want {
			t.Errorf("check request %s: %q, want %q", k, got, want)
		}
	}
}
