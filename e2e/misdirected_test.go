package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

// misdirectedGateway has two HTTPS listeners on port 443: one for any host and one for b.example.com,
// each its own SNI filter chain.
var misdirectedGateway = gatewayClass + `---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: shop}
spec:
  gatewayClassName: gatebridge
  listeners:
  - {name: any, protocol: HTTPS, port: 443, tls: {certificateRefs: [{name: shared-tls}]}}
  - {name: b, protocol: HTTPS, port: 443, hostname: b.example.com, tls: {certificateRefs: [{name: shared-tls}]}}
---
` + httpRoute("a", "edge", "a.example.com", "app-a") + `---
` + httpRoute("b", "edge", "b.example.com", "app-b")

// sendWithSNI sends a GET for host over a new TLS connection whose SNI is sni, in HTTP/2 or HTTP/1.1.
func (h *harness) sendWithSNI(sni, host string, http2 bool, roots *tls.Config) (int, string, error) {
	cfg := roots.Clone()
	cfg.ServerName = sni
	tr := &http.Transport{ForceAttemptHTTP2: http2, DialTLSContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		d := &tls.Dialer{Config: cfg}
		return d.DialContext(ctx, network, fmt.Sprintf("127.0.0.1:%d", h.ports[443]))
	}}
	if !http2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		cfg.NextProtos = []string{"http/1.1"}
	} else {
		cfg.NextProtos = []string{"h2"}
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, "https://"+host+"/", nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("X-Backend") + " " + resp.Proto, nil
}

// TestMisdirectedRequestsThroughEnvoy checks that a request on a TLS connection made for another
// listener's host (a reused HTTP/2 or HTTP/1.1 connection, or a Host unlike the SNI) is answered 421,
// and that each listener still answers its own hosts.
func TestMisdirectedRequestsThroughEnvoy(t *testing.T) {
	ca := newCA(t, "misdirected")
	h := start(t, "gateway-shop-edge", map[string]string{
		"gateway.yaml": misdirectedGateway,
		"shared.yaml":  tlsSecret("shop", "shared-tls", issueLeaf(t, ca, "*.example.com")),
		"app-a.yaml":   service("shop", "app-a", startBackend(t, "app-a").addr),
		"app-b.yaml":   service("shop", "app-b", startBackend(t, "app-b").addr),
	})
	roots := &tls.Config{RootCAs: ca.Pool()}
	tests := []struct {
		sni, host string
		code      int
		backend   string
	}{
		{"a.example.com", "a.example.com", 200, "app-a"},
		{"b.example.com", "b.example.com", 200, "app-b"},
		{"a.example.com", "b.example.com", 421, ""},
		{"b.example.com", "a.example.com", 421, ""},
		{"b.example.com", "c.example.com", 421, ""},
		{"c.example.com", "c.example.com", 404, ""},
		{"c.example.com", "a.example.com", 200, "app-a"},
	}
	eventually(t, "both listeners answer", func() error {
		for _, host := range []string{"a.example.com", "b.example.com"} {
			if code, _, err := h.sendWithSNI(host, host, true, roots); err != nil || code != 200 {
				return fmt.Errorf("%s: %d (%v)", host, code, err)
			}
		}
		return nil
	})
	for _, http2 := range []bool{true, false} {
		proto := map[bool]string{true: "HTTP/2.0", false: "HTTP/1.1"}[http2]
		for _, tt := range tests {
			code, got, err := h.sendWithSNI(tt.sni, tt.host, http2, roots)
			want := tt.backend + " " + proto
			if err != nil || code != tt.code || (tt.backend != "" && got != want) {
				t.Errorf("%s SNI %s Host %s: %d %q (%v), want %d %q", proto, tt.sni, tt.host, code, got, err, tt.code, want)
			}
		}
	}
}
