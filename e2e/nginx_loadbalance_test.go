package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// nginxLoadBalanceIngresses exercise load-balance, upstream-hash-by and proxy-next-upstream (see
// startNginxLoadBalanceBackends for the Services).
var nginxLoadBalanceIngresses = nginxIngress("by-header", "by-header.example.com", "/", "Prefix", "trio", "", map[string]string{"upstream-hash-by": "$http_x_user"}) +
	nginxIngress("by-uri", "by-uri.example.com", "/", "Prefix", "trio", "", map[string]string{"upstream-hash-by": "$request_uri"}) +
	nginxIngress("ewma", "ewma.example.com", "/", "Prefix", "lagging", "", map[string]string{"load-balance": "ewma"}) +
	nginxIngress("retried", "retried.example.com", "/", "Prefix", "half-down", "", map[string]string{"proxy-next-upstream": "error http_503"}) +
	nginxIngress("not-retried", "not-retried.example.com", "/", "Prefix", "half-down", "", map[string]string{"proxy-next-upstream": "off"}) +
	nginxIngress("default-retries", "default-retries.example.com", "/", "Prefix", "half-refused", "", nil) +
	nginxIngress("retries-off", "retries-off.example.com", "/", "Prefix", "half-refused", "", map[string]string{"proxy-next-upstream": "off"}) +
	nginxIngress("canary-primary", "canary-hash.example.com", "/", "Prefix", "pair", "", nil) +
	nginxIngress("canary-hashed", "canary-hash.example.com", "/", "Prefix", "trio", "", map[string]string{"canary": "true",
		"canary-by-header": "X-Canary", "upstream-hash-by": "$http_x_user"})

// holdBackend is a backend (its JSON answers name it) that keeps the requests for /hold waiting until
// release is closed, and counts them.
type holdBackend struct {
	name    string
	held    atomic.Int32
	release chan struct{}
}

func (b *holdBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/hold") {
		b.held.Add(1)
		select {
		case <-b.release:
		case <-r.Context().Done():
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(echo{Backend: b.name, Path: r.URL.RequestURI()})
}

// startHandler serves handler on 127.0.0.1 and returns its address.
func startHandler(t *testing.T, handler http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().String()
}

// startNginxLoadBalanceBackends starts the Services of nginxLoadBalanceIngresses: trio (three echo
// backends), lagging (a backend that holds /hold requests, and one that does not), half-down (an echo
// backend and one that always answers 503). It returns the manifests and the holding backend.
func startNginxLoadBalanceBackends(t *testing.T) (map[string]string, *holdBackend) {
	var trio []string
	for _, name := range []string{"t1", "t2", "t3"} {
		trio = append(trio, startBackend(t, name).addr)
	}
	slow := &holdBackend{name: "slow", release: make(chan struct{})}
	down := startHandler(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	return map[string]string{
		"trio.yaml":         service("shop", "trio", strings.Join(trio, ",")),
		"lagging.yaml":      service("shop", "lagging", startHandler(t, slow)+","+startBackend(t, "quick").addr),
		"half-down.yaml":    service("shop", "half-down", down+","+startBackend(t, "up").addr),
		"half-refused.yaml": service("shop", "half-refused", closedAddr(t)+","+startBackend(t, "open").addr),
	}, slow
}

// checkNginxHash checks that upstream-hash-by keeps each key on one of the three backends, and that
// different keys reach different backends: keyed gives the host and the request of key i.
func checkNginxHash(t *testing.T, h *harness, host string, keyed func(i int) (string, map[string]string)) {
	t.Helper()
	seen := map[string]bool{}
	for i := range 12 {
		path, header := keyed(i)
		first := ""
		for j := range 6 {
			code, _, e, err := h.get(host, path, header)
			if err != nil || code != http.StatusOK {
				t.Fatalf("key %d request %d: %d %v", i, j, code, err)
			}
			if first == "" {
				first = e.Backend
			} else if e.Backend != first {
				t.Fatalf("key %d went to %q then to %q, want one backend", i, first, e.Backend)
			}
		}
		seen[first] = true
	}
	if len(seen) < 2 {
		t.Errorf("12 keys all went to %v: the hash does not spread them", seen)
	}
}

// checkNginxLeastRequest holds 3 (or more) requests on the slow endpoint of the ewma Ingress's Service, then
// sends 100 requests: least request sends one to the slow endpoint only when both endpoints it draws
// are that one (about 25), where round robin would send 50.
func checkNginxLeastRequest(t *testing.T, h *harness, slow *holdBackend) {
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(slow.release)
	deadline := time.Now().Add(10 * time.Second)
	for slow.held.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the slow endpoint holds %d requests, want 3", slow.held.Load())
		}
		wg.Go(func() { _, _, _, _ = h.get("ewma.example.com", "/hold", nil) })
		time.Sleep(20 * time.Millisecond)
	}
	count := map[string]int{}
	for i := range 100 {
		code, _, e, err := h.get("ewma.example.com", "/now", nil)
		if err != nil || code != http.StatusOK {
			t.Fatalf("request %d: %d %v", i, code, err)
		}
		count[e.Backend]++
	}
	if count["slow"] >= 40 || count["quick"] == 0 {
		t.Errorf("with 3 requests active on slow: %v, want fewer than 40 of 100 on slow (round robin sends 50)", count)
	}
}

// checkNginxNextUpstream checks that proxy-next-upstream http_503 retries a 503 on the other endpoint
// (every request gets 200) and that off lets the 503 through.
func checkNginxNextUpstream(t *testing.T, h *harness) {
	codes := func(host string) map[int]int {
		out := map[int]int{}
		for range 20 {
			code, _, _, err := h.get(host, "/", nil)
			if err != nil {
				t.Fatalf("%s: %v", host, err)
			}
			out[code]++
		}
		return out
	}
	if got := codes("retried.example.com"); got[http.StatusOK] != 20 {
		t.Errorf("retried: %v, want 20 answers 200 (a 503 is retried on the other endpoint)", got)
	}
	if got := codes("not-retried.example.com"); got[http.StatusServiceUnavailable] == 0 {
		t.Errorf("not retried: %v, want some 503 from the endpoint that is down", got)
	}
}

// checkNginxDefaultRetries checks that an Ingress without proxy-next-upstream retries a refused
// connection on the other endpoint, for GET and POST alike (the request was never sent), and that
// proxy-next-upstream: off lets the failure through.
func checkNginxDefaultRetries(t *testing.T, h *harness) {
	codes := func(host string) map[string]int {
		out := map[string]int{}
		for i := range 20 {
			method := []string{http.MethodGet, http.MethodPost}[i%2]
			code, _, _, err := h.request(method, host, "/", nil)
			if err != nil {
				t.Fatalf("%s %s: %v", method, host, err)
			}
			out[fmt.Sprintf("%s %d", method, code)]++
		}
		return out
	}
	if got := codes("default-retries.example.com"); got["GET 200"] != 10 || got["POST 200"] != 10 {
		t.Errorf("default retries: %v, want every GET and POST answered 200 (a refused connection is retried on the other endpoint)", got)
	}
	if got := codes("retries-off.example.com"); got["GET 200"]+got["POST 200"] == 20 {
		t.Errorf("proxy-next-upstream off: %v, want some failures from the endpoint that refuses connections", got)
	}
}

// checkNginxCanaryHash checks that a canary's own upstream-hash-by balances the canary's backend (each
// X-User on one of the three canary endpoints) while its primary, without one, keeps round robin.
func checkNginxCanaryHash(t *testing.T, h *harness) {
	checkNginxHash(t, h, "canary-hash.example.com", func(i int) (string, map[string]string) {
		return "/", map[string]string{"X-User": fmt.Sprintf("user-%d", i), "X-Canary": "always"}
	})
	seen := map[string]bool{}
	for i := range 10 {
		code, _, e, err := h.get("canary-hash.example.com", "/", map[string]string{"X-User": "user-1"})
		if err != nil || code != http.StatusOK {
			t.Fatalf("primary request %d: %d %v", i, code, err)
		}
		seen[e.Backend] = true
	}
	if !seen["one"] || !seen["two"] || len(seen) != 2 {
		t.Errorf("the primary answered from %v, want both of its endpoints (one, two: round robin, not the canary's hash)", seen)
	}
}

// hashByHeader and hashByURI are the keyed requests of checkNginxHash.
func hashByHeader(i int) (string, map[string]string) {
	return "/", map[string]string{"X-User": fmt.Sprintf("user-%d", i)}
}

func hashByURI(i int) (string, map[string]string) { return fmt.Sprintf("/item/%d?v=1", i), nil }
