package e2e

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// startStatusBackend runs a backend that answers a path /status/<code> with that status and a plain
// text body naming itself, and echoes other requests like startBackend.
func startStatusBackend(t *testing.T, name string) string {
	t.Helper()
	echoing := &backend{name: name}
	return startHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/")); err == nil {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(code)
			fmt.Fprintf(w, "%s says %d", name, code)
			return
		}
		echoing.ServeHTTP(w, r)
	}))
}

// startErrorPages runs an error backend as ingress-nginx's custom error pages are written: it answers
// with the status in X-Code (200 without it) and echoes the request, headers included, as JSON.
func startErrorPages(t *testing.T) string {
	t.Helper()
	return startHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(r.Header.Get("X-Code"))
		if err != nil {
			code = 200
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(echo{Backend: "errorpages", Path: r.URL.RequestURI(), Host: r.Host, Headers: r.Header})
	}))
}

// customErrorsIngresses have custom-http-errors 404 and 503 to the Service errorpages, on a host
// served over HTTP and on one served over HTTPS (Secret errors-tls-tls); guarded has auth-signin too.
func customErrorsIngresses() string {
	errors := map[string]string{"custom-http-errors": "404,503", "default-backend": "errorpages"}
	guarded := map[string]string{"custom-http-errors": "401,404", "default-backend": "errorpages",
		"auth-url": "http://auth.shop.svc.cluster.local/check", "auth-signin": "https://login.example.com/start"}
	return nginxIngress("errors", "errors.example.com", "/", "Prefix", "statusapp", "", errors) +
		nginxIngress("errors-tls", "errors-tls.example.com", "/", "Prefix", "statusapp", "errors-tls-tls", errors) +
		nginxIngress("guarded", "guarded.example.com", "/", "Prefix", "statusapp", "", guarded) +
		nginxIngress("noerrors", "noerrors.example.com", "/", "Prefix", "statusapp", "", nil)
}

// testNginxCustomErrors checks custom-http-errors: a listed answer of the backend is replaced by the
// error backend's answer (its status, which is X-Code here, and its body), which got the headers
// ingress-nginx sends; other answers are untouched; a client cannot reach the error backend through
// the internal redirect's marker.
func testNginxCustomErrors(t *testing.T, h *harness, roots *x509.CertPool) {
	errorPage := func(t *testing.T, host, path string, code int, e echo, got int, err error) {
		t.Helper()
		want := map[string]string{"X-Code": strconv.Itoa(code), "X-Original-Uri": path, "X-Format": "text/html",
			"X-Namespace": "shop", "X-Ingress-Name": strings.TrimSuffix(host, ".example.com"), "X-Service-Name": "statusapp", "X-Service-Port": "80"}
		if err != nil || got != code || e.Backend != "errorpages" {
			t.Fatalf("GET %s%s: %d from %q (%v), want %d from the error pages", host, path, got, e.Backend, err, code)
		}
		for k, v := range want {
			if k == "X-Format" && strings.HasPrefix(host, "errors-tls") {
				continue // the TLS client sends no Accept
			}
			if g := strings.Join(e.Headers[k], ","); g != v {
				t.Errorf("the error backend got %s %q, want %q", k, g, v)
			}
		}
		// nginx's error location rewrites the path to / and keeps the query.
		if _, query, _ := strings.Cut(path, "?"); strings.TrimSuffix("/?"+query, "?") != e.Path || e.Host != host || len(e.Headers["X-Request-Id"]) != 1 || e.Headers["X-Gatebridge-Error-Page"] != nil {
			t.Errorf("the error backend got %s%s with headers %v, want / (and the query) of the same host, an X-Request-ID and no marker", e.Host, e.Path, e.Headers)
		}
	}
	html := map[string]string{"Accept": "text/html"}
	for _, code := range []int{404, 503} {
		path := fmt.Sprintf("/status/%d?x=1", code)
		got, _, e, err := h.get("errors.example.com", path, html)
		errorPage(t, "errors.example.com", path, code, e, got, err)
	}
	// Answers not listed, and answers of Ingresses without the annotation, are left alone.
	h.expectBackend(t, "errors.example.com", "/fine", 200, "statusapp", "/fine")
	for _, c := range []struct {
		host string
		code int
	}{{"errors.example.com", 500}, {"errors.example.com", 418}, {"noerrors.example.com", 404}} {
		if got, hdr, _, err := h.get(c.host, fmt.Sprintf("/status/%d", c.code), nil); err != nil || got != c.code || hdr.Get("Content-Type") != "text/plain" {
			t.Errorf("GET %s/status/%d: %d %q (%v), want the backend's own answer", c.host, c.code, got, hdr.Get("Content-Type"), err)
		}
	}
	t.Run("https", func(t *testing.T) {
		eventually(t, "https listener", func() error {
			_, _, _, err := h.getTLS("errors-tls.example.com", "/fine", roots)
			return err
		})
		got, e, _, err := h.getTLS("errors-tls.example.com", "/status/404", roots)
		errorPage(t, "errors-tls.example.com", "/status/404", 404, e, got, err)
	})
	t.Run("with auth-signin", func(t *testing.T) {
		// The auth service's 401 still goes to the sign-in page; a 404 behind it to the error pages.
		expectRedirect(t, h, "guarded.example.com", "/status/404", http.StatusFound, "https://login.example.com/start?rd=http://guarded.example.com/status/404")
		got, _, e, err := h.get("guarded.example.com", "/status/404", map[string]string{"Authorization": "Bearer good", "Accept": "text/html"})
		errorPage(t, "guarded.example.com", "/status/404", 404, e, got, err)
	})
	t.Run("a client cannot use the internal redirect", func(t *testing.T) {
		marker := map[string]string{"X-Gatebridge-Error-Page": "gatebridge-system/shop.errors", "X-Code": "404"}
		h.expectBackend(t, "errors.example.com", "/fine", 200, "statusapp", "/fine")
		if got, _, e, err := h.get("errors.example.com", "/fine", marker); err != nil || got != 200 || e.Backend != "statusapp" {
			t.Errorf("GET with the marker: %d from %q (%v), want 200 from statusapp", got, e.Backend, err)
		}
	})
}
