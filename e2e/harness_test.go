package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/envoyxds"
	"github.com/gatebridge/gatebridge/internal/childproc"
	"github.com/gatebridge/gatebridge/internal/envoyproc"
	eventuallypkg "github.com/gatebridge/gatebridge/internal/eventually"
	"github.com/gatebridge/gatebridge/internal/pki"
)

// freePort returns a TCP port free on 127.0.0.1 for Envoy or a backend to bind.
func freePort(t testing.TB) uint32 {
	t.Helper()
	ports, err := childproc.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(ports[0])
}

// harness is gatebridge in standalone mode on a folder, and one Envoy of one fleet.
type harness struct {
	t     testing.TB
	dir   string
	sa    *bridge.Standalone
	ports map[uint32]uint32 // Gateway port → local port Envoy binds
	// adminPort is Envoy's admin interface on 127.0.0.1.
	adminPort uint32
	// httpPort is the Gateway port plain HTTP requests are sent to.
	httpPort uint32
	envoy    *envoyproc.Process
	client   *http.Client
}

// gatewayPorts are the Gateway ports the tests use; each is served on a free local port.
var gatewayPorts = []uint32{80, 443}

// deltaXDS makes the Envoy of a harness use incremental (delta) ADS.
func deltaXDS(o *envoyxds.BootstrapOptions) { o.Delta = true }

// start serves the folder and starts Envoy for fleet; options adjust the Envoy's bootstrap.
func start(t *testing.T, fleet string, files map[string]string, options ...func(*envoyxds.BootstrapOptions)) *harness {
	t.Helper()
	h := newHarness(t)
	h.dir = t.TempDir()
	for name, content := range files {
		h.write(name, content)
	}
	h.sa = bridge.NewStandalone(bridge.StandaloneOptions{Dir: h.dir, Poll: 100 * time.Millisecond, Log: testLog(), Envoy: h.envoyOptions()})
	h.startEnvoy(fleet, serve(t, h.sa.Run), options...)
	return h
}

// serve runs a serving mode (standalone or controller) on a local xDS listener until the test ends,
// then waits for it and reports its error; it returns the xDS address.
func serve(t testing.TB, run func(context.Context, net.Listener) error) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, lis) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serving xDS: %v", err)
		}
	})
	return lis.Addr().String()
}

// newHarness allocates local ports for the Gateway ports; plain HTTP requests go to Gateway port 80.
func newHarness(t testing.TB) *harness {
	h := &harness{t: t, ports: map[uint32]uint32{}, adminPort: freePort(t), httpPort: 80}
	for _, p := range gatewayPorts {
		h.ports[p] = freePort(t)
	}
	h.client = &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return h
}

// envoyOptions map each Gateway port of the harness to its local port.
func (h *harness) envoyOptions() envoyxds.Options {
	ports := h.ports
	return envoyxds.Options{BindAddress: "127.0.0.1", ListenPort: func(p uint32) uint32 {
		if local, ok := ports[p]; ok {
			return local
		}
		return p + 20000
	}}
}

func testLog() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startEnvoy starts the Envoy of fleet against the xDS server at xds.
func (h *harness) startEnvoy(fleet, xds string, options ...func(*envoyxds.BootstrapOptions)) {
	t := h.t
	t.Helper()
	bootstrap := envoyxds.BootstrapOptions{Fleet: fleet, XDS: xds, AdminPort: h.adminPort}
	for _, o := range options {
		o(&bootstrap)
	}
	envoy, err := envoyproc.Start(envoyproc.Options{Bootstrap: bootstrap, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	h.envoy = envoy
	t.Cleanup(func() {
		envoy.Stop()
		if t.Failed() {
			t.Logf("envoy log of %s:\n%s", fleet, envoy.Log())
		}
	})
}

func (h *harness) write(name, content string) {
	h.t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, name), []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// get sends one GET request through Envoy's HTTP port.
func (h *harness) get(host, path string, header map[string]string) (int, http.Header, echo, error) {
	return h.request(http.MethodGet, host, path, header)
}

// request sends one request through Envoy's HTTP port.
func (h *harness) request(method, host, path string, header map[string]string) (int, http.Header, echo, error) {
	req, err := http.NewRequest(method, fmt.Sprintf("http://127.0.0.1:%d%s", h.ports[h.httpPort], path), nil)
	if err != nil {
		return 0, nil, echo{}, err
	}
	req.Host = host
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return roundTrip(h.client, req)
}

func roundTrip(c *http.Client, req *http.Request) (int, http.Header, echo, error) {
	resp, err := c.Do(req)
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

// getTLS sends one GET request over a new TLS connection to Envoy's port 443 with host as SNI, trusting
// only roots. It returns the serial of the certificate the server presented.
func (h *harness) getTLS(host, path string, roots *x509.CertPool) (int, echo, *big.Int, error) {
	var serial *big.Int
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{ServerName: host, RootCAs: roots, VerifyConnection: func(cs tls.ConnectionState) error {
			serial = cs.PeerCertificates[0].SerialNumber
			return nil
		}},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, fmt.Sprintf("127.0.0.1:%d", h.ports[443]))
		},
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, "https://"+host+path, nil)
	if err != nil {
		return 0, echo{}, nil, err
	}
	code, _, e, err := roundTrip(&http.Client{Transport: tr, Timeout: 5 * time.Second}, req)
	return code, e, serial, err
}

// eventually retries check until it passes or 30 s have gone by.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	eventuallypkg.Within(t, 30*time.Second, what, check)
}

// tlsSecret is the manifest of a kubernetes.io/tls Secret holding leaf.
func tlsSecret(namespace, name string, leaf *pki.Leaf) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: %s, namespace: %s}
type: kubernetes.io/tls
data:
  tls.crt: %s
  tls.key: %s
`, name, namespace, base64.StdEncoding.EncodeToString(leaf.CertPEM), base64.StdEncoding.EncodeToString(leaf.KeyPEM))
}

// service is the manifest of a Service of namespace whose port 80 goes to addr (host:port).
func service(namespace, name, addr string) string {
	return serviceWithProtocol(namespace, name, addr, "")
}

// serviceWithProtocol is service with an appProtocol on the port (none when empty).
func serviceWithProtocol(namespace, name, addr, appProtocol string) string {
	protocol := ""
	if appProtocol != "" {
		protocol = ", appProtocol: " + appProtocol
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata:
  name: %s
  namespace: %s
  annotations: {gatebridge.dev/endpoints: "%s"}
spec: {ports: [{name: http, port: 80%s}]}
`, name, namespace, addr, protocol)
}

// httpRoute is the manifest of an HTTPRoute of namespace shop that sends every request for host,
// through the Gateway gateway, to port 80 of the Service backend.
func httpRoute(name, gateway, host, backend string) string {
	return fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: %s, namespace: shop}
spec:
  parentRefs: [{name: %s}]
  hostnames: [%s]
  rules: [{backendRefs: [{name: %s, port: 80}]}]
`, name, gateway, host, backend)
}

// expectBackend checks that a GET through Envoy answers code from backend (when not empty) and that
// the backend saw path seen (when not empty).
func (h *harness) expectBackend(t *testing.T, host, path string, code int, backend, seen string) {
	t.Helper()
	got, _, e, err := h.get(host, path, nil)
	switch {
	case err != nil:
		t.Errorf("GET %s%s: %v", host, path, err)
	case got != code:
		t.Errorf("GET %s%s: status %d, want %d", host, path, got, code)
	case backend != "" && e.Backend != backend:
		t.Errorf("GET %s%s went to %q, want %q", host, path, e.Backend, backend)
	case seen != "" && e.Path != seen:
		t.Errorf("GET %s%s: backend saw %q, want %q", host, path, e.Path, seen)
	}
}

// answers reports whether a GET through Envoy answers 200 from backend.
func (h *harness) answers(host, path, backend string) error {
	code, _, e, err := h.get(host, path, nil)
	if err != nil || code != 200 || e.Backend != backend {
		return fmt.Errorf("GET %s%s: %d from %q (%v), want 200 from %q", host, path, code, e.Backend, err, backend)
	}
	return nil
}

// answersTLS reports whether a GET over TLS with SNI host answers 200 from backend, with the server
// presenting a certificate signed by ca (of the given serial unless it is nil).
func (h *harness) answersTLS(host, path, backend string, ca *pki.CA, serial *big.Int) error {
	code, e, got, err := h.getTLS(host, path, ca.Pool())
	switch {
	case err != nil:
		return fmt.Errorf("GET https://%s%s: %w", host, path, err)
	case serial != nil && got.Cmp(serial) != 0:
		return fmt.Errorf("GET https://%s%s: certificate serial %x, want %x", host, path, got, serial)
	case code != 200 || e.Backend != backend:
		return fmt.Errorf("GET https://%s%s: %d from %q, want 200 from %q", host, path, code, e.Backend, backend)
	}
	return nil
}

// stat reads a counter or gauge from Envoy's admin interface.
func (h *harness) stat(name string) (int, error) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/stats?filter=^%s$", h.adminPort, regexp.QuoteMeta(name)))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var v int
	if _, err := fmt.Sscanf(strings.TrimSpace(string(body)), name+": %d", &v); err != nil {
		return 0, fmt.Errorf("stat %s: %q: %w", name, body, err)
	}
	return v, nil
}

// checkNinetyTen checks 200 requests split 90/10 between frontend-v1 and frontend-v2: 180 expected
// for v1, within 4 standard deviations of a binomial(200, 0.9).
func checkNinetyTen(t *testing.T, counts map[string]int) {
	t.Helper()
	if v1 := counts["frontend-v1"]; v1 < 163 || v1 > 197 || v1+counts["frontend-v2"] != 200 {
		t.Errorf("counts %v, want about 180 to frontend-v1 and the rest to frontend-v2", counts)
	}
}
