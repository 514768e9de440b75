package e2e

import (
	"fmt"
	"slices"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/gatebridge/gatebridge/internal/cmtest"
)

// certificates is cert-manager's Certificate resource.
var certificates = schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "certificates"}

// openGateway is Gateway shop/edge with one plain HTTP listener, taking ListenerSets of every
// namespace, with the given annotations (a YAML flow map).
func openGateway(annotations string) string {
	return fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: shop, annotations: %s}
spec:
  gatewayClassName: gatebridge
  allowedListeners: {namespaces: {from: All}}
  listeners: [{name: http, protocol: HTTP, port: 80}]
`, annotations)
}

// teamListenerSet is ListenerSet team/tenant under Gateway shop/edge with one HTTPS listener for
// team.example.com whose certificate is Secret team/team-tls, and an HTTPRoute of team sending that
// host to the Service team/app-team (backend addr).
func teamListenerSet(addr string) string {
	return `apiVersion: v1
kind: Namespace
metadata: {name: team}
---
` + service("team", "app-team", addr) + `---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: tenant, namespace: team}
spec:
  parentRef: {name: edge, namespace: shop}
  listeners:
  - {name: https, protocol: HTTPS, port: 443, hostname: team.example.com, tls: {certificateRefs: [{name: team-tls}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: team, namespace: team}
spec:
  parentRefs: [{kind: ListenerSet, name: tenant, sectionName: https}]
  hostnames: [team.example.com]
  rules: [{backendRefs: [{name: app-team, port: 80}]}]
`
}

// TestCertManagerListenerSet: the listener of a ListenerSet in another namespace than its Gateway
// names a Secret that does not exist: it is reported and not served. Once the parent Gateway is
// annotated with a ClusterIssuer, the real cert-manager's ListenerSet shim (alpha: feature gate
// ListenerSets and gatewayAPI.enableListenerSet) inherits the annotation, makes a Certificate owned by
// the ListenerSet in the ListenerSet's namespace, and gatebridge serves the issued Secret through the
// same running Envoy.
func TestCertManagerListenerSet(t *testing.T) {
	s := startCertManagerStackWith(t, cmtest.Options{ListenerSets: true}, "gateway-shop-edge")
	s.apply(t, openGateway("{}")+"---\n"+teamListenerSet(startBackend(t, "app-team").addr))

	t.Run("a ListenerSet listener whose Secret does not exist yet reports it", func(t *testing.T) {
		eventually(t, "ResolvedRefs=False", func() error {
			return s.listenerSetCondition("team", "tenant", "https", "ResolvedRefs", metav1.ConditionFalse, "InvalidCertificateRef")
		})
		if _, err := s.cluster.Client.CoreV1().Secrets("team").Get(s.ctx, "team-tls", metav1.GetOptions{}); err == nil {
			t.Fatal("Secret team/team-tls exists before the Gateway asks cert-manager for it")
		}
		if _, _, _, err := s.h.getTLS("team.example.com", "/", s.ca.Pool()); err == nil {
			t.Error("team.example.com answers over HTTPS without its certificate")
		}
	})

	t.Run("the Gateway's issuer annotation: cert-manager issues in the ListenerSet's namespace, served over HTTPS", func(t *testing.T) {
		s.apply(t, openGateway(issuerAnnotation))
		if _, err := s.cm.WaitCertificate(s.ctx, "team", "team-tls", 1); err != nil {
			t.Fatal(err)
		}
		s.certificateOwnedBy(t, "team", "team-tls", "ListenerSet", "tenant")
		leaf, err := s.cm.Leaf(s.ctx, "team", "team-tls")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"team.example.com"}; !slices.Equal(leaf.DNSNames, want) {
			t.Errorf("issued certificate for %q, want %q", leaf.DNSNames, want)
		}
		// The handshake checks the served certificate's name against the SNI and its chain against
		// the CA; the serial shows it is the one cert-manager wrote.
		eventually(t, "HTTPS with the issued certificate", func() error {
			return s.servesIssued("team.example.com", "app-team", leaf.SerialNumber)
		})
		eventually(t, "ResolvedRefs=True", func() error {
			return s.listenerSetCondition("team", "tenant", "https", "ResolvedRefs", metav1.ConditionTrue, "ResolvedRefs")
		})
	})
}

// listenerSetCondition reports whether listener of ListenerSet namespace/name has condition typ with
// status and reason, for the ListenerSet's current generation.
func (s *cmStack) listenerSetCondition(namespace, name, listener, typ string, status metav1.ConditionStatus, reason string) error {
	ls, err := s.gw.GatewayV1().ListenerSets(namespace).Get(s.ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	for _, l := range ls.Status.Listeners {
		if string(l.Name) != listener {
			continue
		}
		c := apimeta.FindStatusCondition(l.Conditions, typ)
		if c == nil || c.Status != status || c.Reason != reason || c.ObservedGeneration != ls.Generation {
			return fmt.Errorf("listener %s: %s condition %+v, want %s %s for generation %d", listener, typ, c, status, reason, ls.Generation)
		}
		return nil
	}
	return fmt.Errorf("ListenerSet %s/%s has no status for listener %s: %+v", namespace, name, listener, ls.Status)
}

// certificateOwnedBy fails the test unless Certificate namespace/name is controlled by the object of
// kind and name: the shim that made it.
func (s *cmStack) certificateOwnedBy(t *testing.T, namespace, name, kind, owner string) {
	t.Helper()
	crt, err := s.cluster.Dynamic.Resource(certificates).Namespace(namespace).Get(s.ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ref := metav1.GetControllerOfNoCopy(crt)
	if ref == nil || ref.Kind != kind || ref.Name != owner {
		t.Errorf("Certificate %s/%s controlled by %+v, want %s %s", namespace, name, ref, kind, owner)
	}
}
