package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/internal/cmtest"
	"github.com/gatebridge/gatebridge/internal/kubetest"
	"github.com/gatebridge/gatebridge/internal/pki"
)

// cmStack is a real control plane with the real cert-manager (a CA ClusterIssuer "e2e-ca" ready),
// gatebridge as its controller and the Envoy of one fleet.
type cmStack struct {
	ctx     context.Context
	cluster *kubetest.Cluster
	cm      *cmtest.CertManager
	ca      *cmtest.CA
	gw      gwclient.Interface
	h       *harness
}

// startCertManagerStack starts a cmStack whose Envoy serves fleet; the namespace shop, both classes
// and a Service per backend name (each a running backend) exist. cert-manager runs with Gateway API
// support.
func startCertManagerStack(t *testing.T, fleet string, backends ...string) *cmStack {
	t.Helper()
	return startCertManagerStackWith(t, cmtest.Options{GatewayAPI: true}, fleet, backends...)
}

// startCertManagerStackWith is startCertManagerStack with cert-manager run as opts say.
func startCertManagerStackWith(t *testing.T, opts cmtest.Options, fleet string, backends ...string) *cmStack {
	t.Helper()
	manifests := ingressClass + "---\n" + gatewayClass
	for _, name := range backends {
		manifests += "---\n" + service("shop", name, startBackend(t, name).addr)
	}
	// The garbage collector removes CertificateRequests of older revisions, as cert-manager expects.
	ctx, cluster, gw := startCluster(t, kubetest.Options{ControllerManager: true}, manifests)
	// The Gateway API CRDs come first: cert-manager refuses --enable-gateway-api without them.
	cm := cmtest.Start(t, cluster, opts)
	ca, err := cm.NewCA(ctx, "e2e-ca")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	_, xds := serveController(t, cluster, gw, bridge.ControllerOptions{Envoy: h.envoyOptions()})
	h.startEnvoy(fleet, xds)
	return &cmStack{ctx: ctx, cluster: cluster, cm: cm, ca: ca, gw: gw, h: h}
}

// apply server-side applies manifests or fails the test.
func (s *cmStack) apply(t *testing.T, manifests string) {
	t.Helper()
	if _, err := s.cluster.Apply(s.ctx, []byte(manifests)); err != nil {
		t.Fatal(err)
	}
}

// issued waits for cert-manager's Certificate shop/name (named after its Secret by the shims) to be
// Ready at minRevision or later, and returns its revision and the serial of the Secret's certificate.
func (s *cmStack) issued(t *testing.T, name string, minRevision int64) (int64, *big.Int) {
	t.Helper()
	revision, err := s.cm.WaitCertificate(s.ctx, "shop", name, minRevision)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := s.cm.Leaf(s.ctx, "shop", name)
	if err != nil {
		t.Fatal(err)
	}
	return revision, leaf.SerialNumber
}

// noSecret fails the test if Secret shop/name exists.
func (s *cmStack) noSecret(t *testing.T, name string) {
	t.Helper()
	_, err := s.cluster.Client.CoreV1().Secrets("shop").Get(s.ctx, name, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("Secret shop/%s: %v, want it not to exist yet", name, err)
	}
}

// servesIssued reports whether a GET over a new TLS connection with SNI host answers 200 from backend,
// the server presenting a certificate for host that chains to the cert-manager CA, of the given serial.
func (s *cmStack) servesIssued(host, backend string, serial *big.Int) error {
	code, e, got, err := s.h.getTLS(host, "/", s.ca.Pool())
	switch {
	case err != nil:
		return fmt.Errorf("GET https://%s/: %w", host, err)
	case got.Cmp(serial) != 0:
		return fmt.Errorf("GET https://%s/: certificate serial %x, want %x", host, got, serial)
	case code != 200 || e.Backend != backend:
		return fmt.Errorf("GET https://%s/: %d from %q, want 200 from %q", host, code, e.Backend, backend)
	}
	return nil
}

// mismatchedSecret is a kubernetes.io/tls Secret of shop whose key is not the certificate's: made by
// hand, as a user might.
func mismatchedSecret(t *testing.T, name, host string) string {
	t.Helper()
	ca := newCA(t, "hand-made")
	cert, other := issueLeaf(t, ca, host), issueLeaf(t, ca, host)
	return tlsSecret("shop", name, &pki.Leaf{CertPEM: cert.CertPEM, KeyPEM: other.KeyPEM})
}

// keepAlive is one TLS connection to Envoy's port 443 carrying HTTP/1.1 requests one after another.
type keepAlive struct {
	conn   *tls.Conn
	reader *bufio.Reader
	host   string
}

func (s *cmStack) dialKeepAlive(t *testing.T, host string) *keepAlive {
	t.Helper()
	conn, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.h.ports[443]), &tls.Config{ServerName: host, RootCAs: s.ca.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &keepAlive{conn: conn, reader: bufio.NewReader(conn), host: host}
}

// get sends one request on the connection and decodes the backend's echo.
func (k *keepAlive) get(path string) (echo, error) {
	var e echo
	if err := k.conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return e, err
	}
	if _, err := fmt.Fprintf(k.conn, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, k.host); err != nil {
		return e, err
	}
	resp, err := http.ReadResponse(k.reader, nil)
	if err != nil {
		return e, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return e, fmt.Errorf("status %d", resp.StatusCode)
	}
	return e, json.NewDecoder(resp.Body).Decode(&e)
}

// serial is the serial of the certificate the connection was opened with.
func (k *keepAlive) serial() *big.Int {
	return k.conn.ConnectionState().PeerCertificates[0].SerialNumber
}

// listenerCondition reports whether listener of Gateway shop/name has condition typ with status and
// reason, for the Gateway's current generation.
func (s *cmStack) listenerCondition(name, listener, typ string, status metav1.ConditionStatus, reason string) error {
	g, err := s.gw.GatewayV1().Gateways("shop").Get(s.ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	for _, l := range g.Status.Listeners {
		if string(l.Name) != listener {
			continue
		}
		c := apimeta.FindStatusCondition(l.Conditions, typ)
		if c == nil || c.Status != status || c.Reason != reason || c.ObservedGeneration != g.Generation {
			return fmt.Errorf("listener %s: %s condition %+v, want %s %s for generation %d", listener, typ, c, status, reason, g.Generation)
		}
		return nil
	}
	return fmt.Errorf("Gateway %s has no status for listener %s: %+v", name, listener, g.Status.Listeners)
}

// programmed reports whether Gateway shop/name is Programmed for its current generation: an Envoy of
// its fleet acked the configuration of that generation.
func (s *cmStack) programmed(name string) error {
	g, err := s.gw.GatewayV1().Gateways("shop").Get(s.ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	c := apimeta.FindStatusCondition(g.Status.Conditions, "Programmed")
	if c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != g.Generation {
		return fmt.Errorf("Gateway %s: Programmed %+v, want True for generation %d", name, c, g.Generation)
	}
	return nil
}

// gatewayEvent reports whether Gateway shop/name has a Warning Event of reason from gatebridge.
func (s *cmStack) gatewayEvent(name, reason string) error {
	list, err := s.cluster.Client.CoreV1().Events("shop").List(s.ctx, metav1.ListOptions{
		FieldSelector: "involvedObject.kind=Gateway,involvedObject.name=" + name + ",reason=" + reason})
	if err != nil {
		return err
	}
	for _, e := range list.Items {
		if e.Source.Component == "gatebridge" && e.Type == "Warning" {
			return nil
		}
	}
	return fmt.Errorf("no Warning Event %s from gatebridge on Gateway %s: %+v", reason, name, list.Items)
}
