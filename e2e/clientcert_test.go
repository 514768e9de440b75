package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatebridge/gatebridge/internal/pki"
)

// clientCertGateway verifies client certificates on port 443 against the CA of ConfigMap client-ca
// (AllowValidOnly) and on port 8443 against the CA of ConfigMap fallback-ca, letting in clients without
// a valid certificate (AllowInsecureFallback).
var clientCertGateway = gatewayClass + `---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: mtls, namespace: shop}
spec:
  gatewayClassName: gatebridge
  tls:
    frontend:
      default:
        validation:
          caCertificateRefs: [{group: "", kind: ConfigMap, name: client-ca}]
      perPort:
      - port: 8443
        tls:
          validation:
            mode: AllowInsecureFallback
            caCertificateRefs: [{group: "", kind: ConfigMap, name: fallback-ca}]
  listeners:
  - {name: https, protocol: HTTPS, port: 443, hostname: a.example.com, tls: {certificateRefs: [{name: a-tls}]}}
  - {name: fallback, protocol: HTTPS, port: 8443, hostname: a.example.com, tls: {certificateRefs: [{name: a-tls}]}}
---
` + httpRoute("a", "mtls", "a.example.com", "app-a")

// caConfigMap is the manifest of a ConfigMap holding the certificate of ca as ca.crt.
func caConfigMap(namespace, name string, ca *pki.CA) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: %s}\ndata:\n  ca.crt: |\n    %s\n",
		name, namespace, strings.ReplaceAll(strings.TrimSpace(string(ca.CertPEM)), "\n", "\n    "))
}

// getMTLS sends one GET over a new TLS connection to a Gateway port with host as SNI, presenting
// client (none when nil).
func (h *harness) getMTLS(port uint32, host string, serverCA *pki.CA, client *pki.Leaf) (int, echo, error) {
	cfg := &tls.Config{ServerName: host, RootCAs: serverCA.Pool()}
	if client != nil {
		pair, err := tls.X509KeyPair(client.CertPEM, client.KeyPEM)
		if err != nil {
			return 0, echo{}, err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	local := h.envoyOptions().ListenPort(port)
	tr := &http.Transport{TLSClientConfig: cfg, DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, fmt.Sprintf("127.0.0.1:%d", local))
	}}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, "https://"+host+"/", nil)
	if err != nil {
		return 0, echo{}, err
	}
	code, _, e, err := roundTrip(&http.Client{Transport: tr, Timeout: 5 * time.Second}, req)
	return code, e, err
}

// TestClientCertificateValidationThroughEnvoy checks spec.tls.frontend through Envoy: AllowValidOnly
// lets in only clients whose certificate the CA verifies, AllowInsecureFallback lets in every client,
// and a new CA in the ConfigMap is used without a restart.
func TestClientCertificateValidationThroughEnvoy(t *testing.T) {
	serverCA, clientCA, fallbackCA, otherCA := newCA(t, "server"), newCA(t, "clients"), newCA(t, "fallback clients"), newCA(t, "other clients")
	leaf := issueLeaf(t, serverCA, "a.example.com")
	alice, bob, mallory := newClient(t, clientCA, "alice"), newClient(t, fallbackCA, "bob"), newClient(t, otherCA, "mallory")
	h := start(t, "gateway-shop-mtls", map[string]string{
		"gateway.yaml":     clientCertGateway,
		"a-tls.yaml":       tlsSecret("shop", "a-tls", leaf),
		"client-ca.yaml":   caConfigMap("shop", "client-ca", clientCA),
		"fallback-ca.yaml": caConfigMap("shop", "fallback-ca", fallbackCA),
		"app-a.yaml":       service("shop", "app-a", startBackend(t, "app-a").addr),
	})
	answers := func(port uint32, client *pki.Leaf) func() error {
		return func() error {
			code, e, err := h.getMTLS(port, "a.example.com", serverCA, client)
			if err != nil || code != 200 || e.Backend != "app-a" {
				return fmt.Errorf("port %d: %d from %q (%v), want 200 from app-a", port, code, e.Backend, err)
			}
			return nil
		}
	}
	refused := func(port uint32, client *pki.Leaf, who string) {
		t.Helper()
		if code, _, err := h.getMTLS(port, "a.example.com", serverCA, client); err == nil {
			t.Errorf("port %d: %s got %d, want the TLS handshake refused", port, who, code)
		}
	}

	t.Run("AllowValidOnly", func(t *testing.T) {
		eventually(t, "a client of the CA is let in", answers(443, alice))
		refused(443, nil, "a client without a certificate")
		refused(443, mallory, "a client of another CA")
		refused(443, bob, "a client of the other port's CA")
	})
	t.Run("AllowInsecureFallback", func(t *testing.T) {
		eventually(t, "a client of the port's CA is let in", answers(8443, bob))
		for name, client := range map[string]*pki.Leaf{"without a certificate": nil, "of another CA": mallory, "of the default CA": alice} {
			if err := answers(8443, client)(); err != nil {
				t.Errorf("a client %s: %v", name, err)
			}
		}
	})
	t.Run("new CA in the ConfigMap", func(t *testing.T) {
		h.write("client-ca.yaml", caConfigMap("shop", "client-ca", otherCA))
		eventually(t, "a client of the new CA is let in", answers(443, mallory))
		refused(443, alice, "a client of the old CA")
	})
}

// backendClientCertGateway sends every request for secure.example.com to Service secure, to which a
// BackendTLSPolicy originates TLS; clientCert is the Gateway's spec.tls (none when empty).
func backendClientCertGateway(clientCert string) string {
	return gatewayClass + `---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: shop}
spec:
  gatewayClassName: gatebridge
` + clientCert + `  listeners:
  - {name: http, protocol: HTTP, port: 80}
---
` + httpRoute("secure", "edge", "secure.example.com", "secure") + `---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: secure, namespace: shop}
spec:
  targetRefs: [{group: "", kind: Service, name: secure}]
  validation:
    caCertificateRefs: [{group: "", kind: ConfigMap, name: backend-ca}]
    hostname: secure.example.com
`
}

// TestBackendClientCertificateThroughEnvoy checks spec.tls.backend through Envoy: a backend that
// requires client certificates of its CA answers while the Gateway names a certificate of that CA, and
// refuses the connection (503) once it names another CA's certificate or none.
func TestBackendClientCertificateThroughEnvoy(t *testing.T) {
	serverCA, clientCA, otherCA := newCA(t, "backend server"), newCA(t, "gateway clients"), newCA(t, "other clients")
	secure := serveBackend(t, "secure", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{keyPair(t, serverCA, "secure.example.com")},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCA.Pool()},
		// Each request on a new connection: Envoy presents a new certificate on new connections only.
		func(s *http.Server) { s.SetKeepAlivesEnabled(false) })
	withCert := "  tls:\n    backend:\n      clientCertificateRef: {name: gateway-client}\n"
	h := start(t, "gateway-shop-edge", map[string]string{
		"gateway.yaml":    backendClientCertGateway(withCert),
		"client.yaml":     tlsSecret("shop", "gateway-client", newClient(t, clientCA, "gateway")),
		"backend-ca.yaml": caConfigMap("shop", "backend-ca", serverCA),
		"secure.yaml":     service("shop", "secure", secure.addr),
	})
	status := func(want int) func() error {
		return func() error {
			code, _, e, err := h.get("secure.example.com", "/", nil)
			if err != nil || code != want || (want == 200 && e.Backend != "secure") {
				return fmt.Errorf("GET secure.example.com: %d from %q (%v), want %d", code, e.Backend, err, want)
			}
			return nil
		}
	}
	eventually(t, "the backend lets in the Gateway's client certificate", status(200))
	h.write("client.yaml", tlsSecret("shop", "gateway-client", newClient(t, otherCA, "gateway")))
	eventually(t, "the backend refuses a client certificate of another CA", status(503))
	h.write("client.yaml", tlsSecret("shop", "gateway-client", newClient(t, clientCA, "gateway")))
	eventually(t, "the backend lets in the renewed certificate", status(200))
	h.write("gateway.yaml", backendClientCertGateway(""))
	eventually(t, "the backend refuses a Gateway without a client certificate", status(503))
}
