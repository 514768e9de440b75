package e2e

import (
	"fmt"
	"math/big"
	"net/http"
	"testing"
)

// issuerAnnotation asks cert-manager's shims for certificates from the stack's CA ClusterIssuer.
const issuerAnnotation = "{cert-manager.io/cluster-issuer: e2e-ca}"

// tlsIngress is an Ingress of class gatebridge in shop sending host to backend, over HTTPS with the
// certificate of Secret secret too; annotations is its YAML flow map of annotations.
func tlsIngress(name, host, backend, secret, annotations string) string {
	return fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: %[1]s, namespace: shop, annotations: %[5]s}
spec:
  ingressClassName: gatebridge
  tls: [{hosts: [%[2]s], secretName: %[4]s}]
  rules:
  - host: %[2]s
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: %[3]s, port: {number: 80}}}}]}
`, name, host, backend, secret, annotations)
}

// TestCertManagerIngress: Ingresses annotated for the real cert-manager get certificates that
// gatebridge serves through a real Envoy, across a forced renewal, next to a hand-made broken Secret.
func TestCertManagerIngress(t *testing.T) {
	s := startCertManagerStack(t, "ingress-gatebridge", "app-a", "app-b", "app-c")
	var revision int64
	var serial *big.Int // of the certificate a.example.com is served with

	t.Run("an annotated Ingress gets its certificate from cert-manager and serves HTTPS with it", func(t *testing.T) {
		s.noSecret(t, "a-tls")
		s.apply(t, tlsIngress("a", "a.example.com", "app-a", "a-tls", issuerAnnotation))
		revision, serial = s.issued(t, "a-tls", 1)
		// getTLS verifies the chain against the CA and the name against the SNI.
		eventually(t, "HTTPS with the issued certificate", func() error { return s.servesIssued("a.example.com", "app-a", serial) })
		// As ingress-nginx (ssl-redirect defaults to true), plain HTTP to a host with TLS is redirected.
		expectRedirect(t, s.h, "a.example.com", "/x", http.StatusPermanentRedirect, "https://a.example.com/x")
	})
	if t.Failed() {
		return
	}

	t.Run("a forced renewal changes the served certificate, a connection opened before stays open", func(t *testing.T) {
		serial = s.renewKeepingConnection(t, "a.example.com", "app-a", "a-tls", revision, serial)
	})

	t.Run("a Secret with a mismatched key leaves the other hosts serving", func(t *testing.T) {
		s.apply(t, mismatchedSecret(t, "c-tls", "c.example.com")+"---\n"+tlsIngress("c", "c.example.com", "app-c", "c-tls", "{}"))
		eventually(t, "a Warning Event on Ingress c", func() error { return noteEvent(s.ctx, s.cluster, "c", "InvalidSecret") })
		// A change made after the bad Secret still reaches Envoy: it does not hold back the others.
		s.noSecret(t, "b-tls")
		s.apply(t, tlsIngress("b", "b.example.com", "app-b", "b-tls", issuerAnnotation))
		_, serialB := s.issued(t, "b-tls", 1)
		eventually(t, "b.example.com over HTTPS", func() error { return s.servesIssued("b.example.com", "app-b", serialB) })
		if err := s.servesIssued("a.example.com", "app-a", serial); err != nil {
			t.Error(err)
		}
		if err := s.h.answers("c.example.com", "/", "app-c"); err != nil {
			t.Errorf("c.example.com over plain HTTP: %v", err)
		}
		if _, _, _, err := s.h.getTLS("c.example.com", "/", s.ca.Pool()); err == nil {
			t.Error("c.example.com answers over HTTPS")
		}
	})
}

// renewKeepingConnection forces the renewal of Certificate shop/secret (at revision, serving serial to
// host) while a keep-alive connection to host is open, checks that new connections get the renewed
// certificate over SDS alone and that the open connection keeps working, and returns the new serial.
func (s *cmStack) renewKeepingConnection(t *testing.T, host, backend, secret string, revision int64, serial *big.Int) *big.Int {
	t.Helper()
	conn := s.dialKeepAlive(t, host)
	if e, err := conn.get("/before"); err != nil || e.Backend != backend {
		t.Fatalf("request before the renewal: %q %v", e.Backend, err)
	}
	pid := s.h.envoy.Pid()
	modified, err := s.h.stat("listener_manager.listener_modified")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cm.Renew(s.ctx, "shop", secret); err != nil {
		t.Fatal(err)
	}
	_, renewed := s.issued(t, secret, revision+1)
	if renewed.Cmp(serial) == 0 {
		t.Fatalf("the renewal kept serial %x", serial)
	}
	eventually(t, "new connections get the renewed certificate", func() error { return s.servesIssued(host, backend, renewed) })
	if e, err := conn.get("/after"); err != nil || e.Backend != backend || e.Path != "/after" {
		t.Errorf("request on the connection opened before the renewal: %q %q %v", e.Backend, e.Path, err)
	}
	if got := conn.serial(); got.Cmp(serial) != 0 {
		t.Errorf("the open connection's certificate serial is %x, want the old %x", got, serial)
	}
	if s.h.envoy.Pid() != pid || !s.h.envoy.Running() {
		t.Error("Envoy was restarted")
	}
	if now, err := s.h.stat("listener_manager.listener_modified"); err != nil || now != modified {
		t.Errorf("listeners were modified by the renewal (%d → %d, %v): the certificate must come over SDS alone", modified, now, err)
	}
	return renewed
}
