package e2e

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// echo is what a backend answers: who it is and what it received.
type echo struct {
	Backend string              `json:"backend"`
	Path    string              `json:"path"`
	Host    string              `json:"host"`
	Headers map[string][]string `json:"headers"`
	TLS     bool                `json:"tls"`
	Proto   string              `json:"proto"`
}

// backend is an HTTP server (on 127.0.0.1 unless told otherwise) that echoes each request as JSON and
// records the paths it was asked for. Some paths behave differently: one containing "/slow" answers
// after two seconds, one containing "/flaky" fails every other time with 500, and a WebSocket upgrade
// is accepted and then echoes what it receives.
type backend struct {
	name string
	addr string

	mu    sync.Mutex
	paths []string
	hosts []string // the Host of each request, in the order of paths
	flaky int
}

func (b *backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.paths = append(b.paths, r.URL.RequestURI())
	b.hosts = append(b.hosts, r.Host)
	fail := false
	if strings.Contains(r.URL.Path, "/flaky") {
		b.flaky++
		fail = b.flaky%2 == 1
	}
	b.mu.Unlock()
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		echoUpgraded(w)
		return
	}
	if strings.Contains(r.URL.Path, "/slow") {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
			return
		}
	}
	if fail {
		http.Error(w, b.name+": flaky failure", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Backend", b.name)
	_ = json.NewEncoder(w).Encode(echo{Backend: b.name, Path: r.URL.RequestURI(), Host: r.Host, Headers: r.Header, TLS: r.TLS != nil, Proto: r.Proto})
}

// seen returns the paths the backend was asked for so far.
func (b *backend) seen() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.paths...)
}

// seenRequests returns the requests the backend was asked for so far, as "host path".
func (b *backend) seenRequests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, len(b.paths))
	for i := range b.paths {
		out[i] = b.hosts[i] + " " + b.paths[i]
	}
	return out
}

// echoUpgraded switches the connection to the WebSocket protocol and copies back what it reads (the
// bytes are not framed: enough to prove the upgraded stream goes both ways through Envoy).
func echoUpgraded(w http.ResponseWriter) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	_ = rw.Flush()
	_, _ = io.Copy(conn, rw)
}

// startBackend runs a plain HTTP backend.
func startBackend(t testing.TB, name string) *backend {
	return serveBackend(t, name, "127.0.0.1:0", nil)
}

// startBackendAt runs a plain HTTP backend on addr (host:port), such as a pod's IP and port.
func startBackendAt(t testing.TB, name, addr string) *backend {
	return serveBackend(t, name, addr, nil)
}

// startH2CBackend runs a backend that speaks HTTP/2 without TLS (prior knowledge) besides HTTP/1.1.
func startH2CBackend(t *testing.T, name string) *backend {
	return serveBackend(t, name, "127.0.0.1:0", nil, func(s *http.Server) {
		s.Protocols = new(http.Protocols)
		s.Protocols.SetHTTP1(true)
		s.Protocols.SetUnencryptedHTTP2(true)
	})
}

// startTLSBackend runs a backend that terminates TLS itself with cert (for TLS passthrough).
func startTLSBackend(t *testing.T, name string, cert tls.Certificate) *backend {
	return serveBackend(t, name, "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
}

func serveBackend(t testing.TB, name, addr string, tlsConfig *tls.Config, options ...func(*http.Server)) *backend {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{name: name, addr: l.Addr().String()}
	srv := &http.Server{Handler: b, TLSConfig: tlsConfig}
	for _, o := range options {
		o(srv)
	}
	go func() {
		if tlsConfig != nil {
			_ = srv.ServeTLS(l, "", "")
			return
		}
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() { _ = srv.Close() })
	return b
}
