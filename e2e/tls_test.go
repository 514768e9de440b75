package e2e

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatebridge/gatebridge/internal/pki"
)

var tlsGateway = gatewayClass + `---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: shop}
spec:
  gatewayClassName: gatebridge
  listeners:
  - {name: https-a, protocol: HTTPS, port: 443, hostname: a.example.com, tls: {certificateRefs: [{name: a-tls}]}}
  - {name: https-b, protocol: HTTPS, port: 443, hostname: b.example.com, tls: {certificateRefs: [{name: b-tls}]}}
  - {name: passthrough, protocol: TLS, port: 443, hostname: pass.example.com, tls: {mode: Passthrough}}
---
` + httpRoute("a", "edge", "a.example.com", "app-a") + `---
` + httpRoute("b", "edge", "b.example.com", "app-b") + `---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: pass, namespace: shop}
spec:
  parentRefs: [{name: edge}]
  hostnames: [pass.example.com]
  rules: [{backendRefs: [{name: secure, port: 80}]}]
`

// TestTLSThroughEnvoy checks HTTPS termination with a certificate per host chosen by SNI, TLS
// passthrough to a backend that terminates TLS itself, and a certificate rotated over SDS while a
// connection made with the old certificate stays open and keeps working.
func TestTLSThroughEnvoy(t *testing.T) {
	ca, err := pki.NewCA("e2e tls")
	if err != nil {
		t.Fatal(err)
	}
	issue := func(host string) *pki.Leaf {
		leaf, err := ca.IssueNow(host)
		if err != nil {
			t.Fatal(err)
		}
		return leaf
	}
	leafA, leafB, leafPass := issue("a.example.com"), issue("b.example.com"), issue("pass.example.com")
	passPair, err := tls.X509KeyPair(leafPass.CertPEM, leafPass.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"gateway.yaml": tlsGateway,
		"a-tls.yaml":   tlsSecret("shop", "a-tls", leafA),
		"b-tls.yaml":   tlsSecret("shop", "b-tls", leafB),
		"app-a.yaml":   service("shop", "app-a", startBackend(t, "app-a").addr),
		"app-b.yaml":   service("shop", "app-b", startBackend(t, "app-b").addr),
		"secure.yaml":  service("shop", "secure", startTLSBackend(t, "secure", passPair).addr),
	}
	h := start(t, "gateway-shop-edge", files)

	t.Run("HTTPS terminated with the certificate of each host", func(t *testing.T) {
		eventually(t, "a.example.com", func() error { return h.answersTLS("a.example.com", "/", "app-a", ca, leafA.Serial) })
		eventually(t, "b.example.com", func() error { return h.answersTLS("b.example.com", "/", "app-b", ca, leafB.Serial) })
	})

	t.Run("TLS passthrough reaches the backend's own certificate", func(t *testing.T) {
		eventually(t, "pass.example.com", func() error { return h.answersTLS("pass.example.com", "/p", "secure", ca, leafPass.Serial) })
		_, e, _, err := h.getTLS("pass.example.com", "/p", ca.Pool())
		if err != nil || !e.TLS {
			t.Errorf("the backend did not terminate TLS itself (saw TLS %v, %v)", e.TLS, err)
		}
	})

	t.Run("certificate rotated over SDS, open connection kept", func(t *testing.T) {
		conn, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", h.ports[443]), &tls.Config{ServerName: "a.example.com", RootCAs: ca.Pool()})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		reader := bufio.NewReader(conn)
		send := func(path string) (echo, error) {
			if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: a.example.com\r\n\r\n", path); err != nil {
				return echo{}, err
			}
			resp, err := http.ReadResponse(reader, nil)
			if err != nil {
				return echo{}, err
			}
			defer resp.Body.Close()
			var e echo
			if resp.StatusCode != 200 {
				return e, fmt.Errorf("status %d", resp.StatusCode)
			}
			return e, json.NewDecoder(resp.Body).Decode(&e)
		}
		if e, err := send("/before"); err != nil || e.Backend != "app-a" {
			t.Fatalf("request on the open connection before the rotation: %q %v", e.Backend, err)
		}
		modified, err := h.stat("listener_manager.listener_modified")
		if err != nil {
			t.Fatal(err)
		}
		renewed := issue("a.example.com")
		h.write("a-tls.yaml", tlsSecret("shop", "a-tls", renewed))
		eventually(t, "new connections get the renewed certificate", func() error {
			return h.answersTLS("a.example.com", "/", "app-a", ca, renewed.Serial)
		})
		if e, err := send("/after"); err != nil || e.Backend != "app-a" || e.Path != "/after" {
			t.Errorf("request on the connection opened before the rotation: %q %q %v", e.Backend, e.Path, err)
		}
		if now, err := h.stat("listener_manager.listener_modified"); err != nil || now != modified {
			t.Errorf("listeners were modified by the rotation (%d → %d, %v): the certificate must come over SDS alone", modified, now, err)
		}
		if got := conn.ConnectionState().PeerCertificates[0].SerialNumber; got.Cmp(leafA.Serial) != 0 {
			t.Errorf("the open connection's certificate serial is %x, want the old %x", got, leafA.Serial)
		}
	})

	t.Run("a deleted Secret takes its host out of HTTPS, the others keep serving", func(t *testing.T) {
		if err := os.Remove(filepath.Join(h.dir, "b-tls.yaml")); err != nil {
			t.Fatal(err)
		}
		eventually(t, "b.example.com no longer served", func() error {
			if _, _, _, err := h.getTLS("b.example.com", "/", ca.Pool()); err == nil {
				return fmt.Errorf("b.example.com still answers over HTTPS")
			}
			return nil
		})
		if err := h.answersTLS("a.example.com", "/", "app-a", ca, nil); err != nil {
			t.Error(err)
		}
	})
}
