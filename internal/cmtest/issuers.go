package cmtest

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"
)

// The cert-manager kinds the helpers read and write, through the dynamic client: the main module does
// not depend on cert-manager's Go types.
var (
	certificateResource   = schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "certificates"}
	clusterIssuerResource = schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "clusterissuers"}
)

// ErrIssuing tells that a Certificate is already being issued: a renewal cannot be forced now.
var ErrIssuing = errors.New("certificate is already being issued")

// CA is a CA ClusterIssuer whose CA certificate cert-manager issued itself, from a SelfSigned
// ClusterIssuer.
type CA struct {
	// Issuer names the CA ClusterIssuer, for the cert-manager.io/cluster-issuer annotation.
	Issuer string
	// CertPEM is the CA certificate, for clients to trust.
	CertPEM []byte
	Cert    *x509.Certificate
}

// Pool holds the CA certificate alone.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return pool
}

// Verify checks that cert was signed by the CA and is valid now for host.
func (ca *CA) Verify(cert *x509.Certificate, host string) error {
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: host}); err != nil {
		return fmt.Errorf("verify certificate %x for %s: %w", cert.SerialNumber, host, err)
	}
	return nil
}

// caManifests: ClusterIssuer <name>-root (SelfSigned) issues Certificate <name>-ca (a CA, its Secret in
// the cluster resource namespace), which ClusterIssuer <name> (CA) signs leaves with.
const caManifests = `apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: %[1]s-root}
spec: {selfSigned: {}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: %[1]s-ca, namespace: %[2]s}
spec:
  isCA: true
  commonName: %[1]s test CA
  secretName: %[1]s-ca
  privateKey: {algorithm: ECDSA, size: 256}
  issuerRef: {name: %[1]s-root, kind: ClusterIssuer, group: cert-manager.io}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: %[1]s}
spec: {ca: {secretName: %[1]s-ca}}
`

// NewCA makes a CA ClusterIssuer called name, as described at caManifests, and returns once it is
// Ready, with its CA certificate.
func (cm *CertManager) NewCA(ctx context.Context, name string) (*CA, error) {
	if _, err := cm.cluster.Apply(ctx, fmt.Appendf(nil, caManifests, name, cm.ClusterResourceNamespace)); err != nil {
		return nil, fmt.Errorf("make CA issuer %s: %w", name, err)
	}
	if err := cm.WaitClusterIssuer(ctx, name); err != nil {
		return nil, err
	}
	cert, err := cm.Leaf(ctx, cm.ClusterResourceNamespace, name+"-ca")
	if err != nil {
		return nil, err
	}
	return &CA{Issuer: name, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), Cert: cert}, nil
}

// WaitClusterIssuer waits until ClusterIssuer name is Ready (for an ACME issuer: its account is
// registered with the ACME server).
func (cm *CertManager) WaitClusterIssuer(ctx context.Context, name string) error {
	return poll(ctx, "ClusterIssuer "+name+" Ready", func(ctx context.Context) error {
		issuer, err := cm.cluster.Dynamic.Resource(clusterIssuerResource).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		return conditionTrue(issuer, "Ready")
	}, cm.proc)
}

// Leaf returns the first certificate of tls.crt in Secret namespace/name.
func (cm *CertManager) Leaf(ctx context.Context, namespace, name string) (*x509.Certificate, error) {
	s, err := cm.cluster.Client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get secret %s/%s: %w", namespace, name, err)
	}
	block, _ := pem.Decode(s.Data[corev1.TLSCertKey])
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("secret %s/%s: no certificate in %s", namespace, name, corev1.TLSCertKey)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("secret %s/%s: %w", namespace, name, err)
	}
	return cert, nil
}

// WaitCertificate waits until Certificate namespace/name is Ready for its current generation, not
// being issued, at revision minRevision or later; it returns that revision. A shim-made Certificate
// that does not exist yet is waited for too.
func (cm *CertManager) WaitCertificate(ctx context.Context, namespace, name string, minRevision int64) (int64, error) {
	var revision int64
	what := fmt.Sprintf("Certificate %s/%s Ready at revision %d or later", namespace, name, minRevision)
	err := poll(ctx, what, func(ctx context.Context) error {
		crt, err := cm.cluster.Dynamic.Resource(certificateResource).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if err := conditionTrue(crt, "Ready"); err != nil {
			return err
		}
		if conditionTrue(crt, "Issuing") == nil {
			return ErrIssuing
		}
		revision, _, _ = unstructured.NestedInt64(crt.Object, "status", "revision")
		if revision < minRevision {
			return fmt.Errorf("revision %d", revision)
		}
		return nil
	}, cm.proc)
	return revision, err
}

// Renew forces the re-issuance of Certificate namespace/name as `cmctl renew` does: it adds the
// condition Issuing=True with reason ManuallyTriggered to its status. It returns ErrIssuing when an
// issuance is already under way.
func (cm *CertManager) Renew(ctx context.Context, namespace, name string) error {
	certs := cm.cluster.Dynamic.Resource(certificateResource).Namespace(namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		crt, err := certs.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if conditionTrue(crt, "Issuing") == nil {
			return ErrIssuing
		}
		conds, _, _ := unstructured.NestedSlice(crt.Object, "status", "conditions")
		kept := []any{}
		for _, c := range conds {
			if m, ok := c.(map[string]any); !ok || m["type"] != "Issuing" {
				kept = append(kept, c)
			}
		}
		kept = append(kept, map[string]any{
			"type": "Issuing", "status": "True", "reason": "ManuallyTriggered",
			"message":            "Certificate re-issuance manually triggered",
			"lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
			"observedGeneration": crt.GetGeneration(),
		})
		if err := unstructured.SetNestedSlice(crt.Object, kept, "status", "conditions"); err != nil {
			return err
		}
		_, err = certs.UpdateStatus(ctx, crt, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("renew certificate %s/%s: %w", namespace, name, err)
	}
	return nil
}

// conditionTrue returns nil when obj has the condition typ True for its current generation (when the
// condition says which generation it observed), and an error saying what it has otherwise.
func conditionTrue(obj *unstructured.Unstructured, typ string) error {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != typ {
			continue
		}
		gen, hasGen, _ := unstructured.NestedInt64(m, "observedGeneration")
		if m["status"] != "True" || (hasGen && gen != obj.GetGeneration()) {
			return fmt.Errorf("%s %s: condition %s is %v (%v: %v), observed generation %d of %d",
				obj.GetKind(), obj.GetName(), typ, m["status"], m["reason"], m["message"], gen, obj.GetGeneration())
		}
		return nil
	}
	return fmt.Errorf("%s %s: no condition %s", obj.GetKind(), obj.GetName(), typ)
}
