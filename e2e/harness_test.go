package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/envoyxds"
	"github.com/gatebridge/gatebridge/internal/envoyproc"
)

func freePort(t *testing.T) uint32 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return uint32(l.Addr().(*net.TCPAddr).Port)
}

// echo is what a backend answers: who it is and what it received.
type echo struct {
	Backend string              `json:"backend"`
	Path    string              `json:"path"`
	Host    string              `json:"host"`
	Headers map[string][]string `json:"headers"`
}

// startBackend runs an HTTP backend on 127.0.0.1 that echoes each request as JSON.
func startBackend(t *testing.T, name string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echo{Backend: name, Path: r.URL.RequestURI(), Host: r.Host, Headers: r.Header})
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().String()
}

// harness is gatebridge in standalone mode on a folder, and one Envoy of one fleet.
type harness struct {
	t        *testing.T
	dir      string
	sa       *bridge.Standalone
	httpPort uint32
	envoy    *envoyproc.Process
	client   *http.Client
}

// start serves the folder and starts Envoy for fleet; Gateway port 80 is served on a free local port.
func start(t *testing.T, fleet string, files map[string]string) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), httpPort: freePort(t)}
	h.client = &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for name, content := range files {
		h.write(name, content)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	httpPort := h.httpPort
	h.sa = bridge.NewStandalone(bridge.StandaloneOptions{
		Dir: h.dir, Poll: 100 * time.Millisecond, Log: log,
		Envoy: envoyxds.Options{BindAddress: "127.0.0.1", ListenPort: func(p uint32) uint32 {
			if p == 80 {
				return httpPort
			}
			return p + 20000
		}},
	})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = h.sa.Run(ctx, lis) }()
	envoy, err := envoyproc.Start(envoyproc.Options{
		Bootstrap: envoyxds.BootstrapOptions{Fleet: fleet, XDS: lis.Addr().String(), AdminPort: freePort(t)},
		Dir:       t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.envoy = envoy
	t.Cleanup(func() {
		envoy.Stop()
		if t.Failed() {
			t.Logf("envoy log:\n%s", envoy.Log())
		}
	})
	return h
}

func (h *harness) write(name, content string) {
	h.t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, name), []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// get sends one request through Envoy.
func (h *harness) get(host, path string, header map[string]string) (int, http.Header, echo, error) {
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", h.httpPort, path), nil)
	if err != nil {
		return 0, nil, echo{}, err
	}
	req.Host = host
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, nil, echo{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e echo
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &e)
	}
	return resp.StatusCode, resp.Header, e, nil
}

// eventually retries check until it passes or 30 s have gone by.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
