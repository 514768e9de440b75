package e2e

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// edgeGateway is Gateway shop/edge of class gatebridge with the given listeners (YAML flow maps) and
// annotations (a YAML flow map).
func edgeGateway(annotations string, listeners ...string) string {
	return fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: shop, annotations: %s}
spec:
  gatewayClassName: gatebridge
  listeners:
  - %s
`, annotations, strings.Join(listeners, "\n  - "))
}

// httpsListener is an HTTPS listener on port 443 for host with the certificate of Secret secret.
func httpsListener(name, host, secret string) string {
	return fmt.Sprintf("{name: %s, protocol: HTTPS, port: 443, hostname: %s, tls: {certificateRefs: [{name: %s}]}}", name, host, secret)
}

// TestCertManagerGateway: a Gateway listener whose Secret is missing says so; once the Gateway is
// annotated, the real cert-manager's gateway-shim issues the Secret and gatebridge serves it through a
// real Envoy, across a forced renewal; a listener with a hand-made broken Secret is reported while the
// other keeps serving.
func TestCertManagerGateway(t *testing.T) {
	s := startCertManagerStack(t, "gateway-shop-edge", "app-a", "app-c")
	listenerA := httpsListener("https-a", "a.example.com", "a-tls")
	s.apply(t, edgeGateway("{}", listenerA)+"---\n"+httpRoute("a", "edge", "a.example.com", "app-a")+"---\n"+
		httpRoute("c", "edge", "c.example.com", "app-c"))

	t.Run("a listener whose Secret does not exist yet reports it", func(t *testing.T) {
		s.noSecret(t, "a-tls")
		eventually(t, "ResolvedRefs=False", func() error {
			return s.listenerCondition("edge", "https-a", "ResolvedRefs", metav1.ConditionFalse, "InvalidCertificateRef")
		})
		if _, _, _, err := s.h.getTLS("a.example.com", "/", s.ca.Pool()); err == nil {
			t.Error("a.example.com answers over HTTPS without its certificate")
		}
	})

	var revision int64
	var serial *big.Int
	t.Run("cert-manager's gateway-shim issues it: served over HTTPS, ResolvedRefs=True", func(t *testing.T) {
		s.apply(t, edgeGateway(issuerAnnotation, listenerA))
		revision, serial = s.issued(t, "a-tls", 1)
		eventually(t, "HTTPS with the issued certificate", func() error { return s.servesIssued("a.example.com", "app-a", serial) })
		eventually(t, "ResolvedRefs=True", func() error {
			return s.listenerCondition("edge", "https-a", "ResolvedRefs", metav1.ConditionTrue, "ResolvedRefs")
		})
		eventually(t, "Programmed", func() error { return s.programmed("edge") })
	})
	if t.Failed() {
		return
	}

	t.Run("a forced renewal changes the served certificate, a connection opened before stays open", func(t *testing.T) {
		serial = s.renewKeepingConnection(t, "a.example.com", "app-a", "a-tls", revision, serial)
	})

	t.Run("a Secret with a mismatched key: its listener reports it, the other keeps serving", func(t *testing.T) {
		// cert-manager is told to leave that listener alone, or it would overwrite the Secret.
		annotations := "{cert-manager.io/cluster-issuer: e2e-ca, cert-manager.io/ignore-tls-listeners: https-c}"
		s.apply(t, mismatchedSecret(t, "c-tls", "c.example.com")+"---\n"+
			edgeGateway(annotations, listenerA, httpsListener("https-c", "c.example.com", "c-tls")))
		eventually(t, "https-c ResolvedRefs=False", func() error {
			return s.listenerCondition("edge", "https-c", "ResolvedRefs", metav1.ConditionFalse, "InvalidCertificateRef")
		})
		// The generation with the bad listener was pushed and acked: the rest of it is served.
		eventually(t, "Programmed for the new generation", func() error { return s.programmed("edge") })
		if err := s.listenerCondition("edge", "https-a", "ResolvedRefs", metav1.ConditionTrue, "ResolvedRefs"); err != nil {
			t.Error(err)
		}
		if err := s.servesIssued("a.example.com", "app-a", serial); err != nil {
			t.Error(err)
		}
		if _, _, _, err := s.h.getTLS("c.example.com", "/", s.ca.Pool()); err == nil {
			t.Error("c.example.com answers over HTTPS")
		}
		eventually(t, "a Warning Event on the Gateway", func() error { return s.gatewayEvent("edge", "InvalidCertificateRef") })
	})
}
