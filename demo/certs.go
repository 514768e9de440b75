package demo

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/gatebridge/gatebridge/internal/pki"
)

// tlsFiles are what the demo writes for HTTPS: a local certificate authority for clients to trust, and
// the Secret, signed by it, that the Gateway's HTTPS listener names. Local use only.
type tlsFiles struct {
	// CAPEM is the certificate of the authority (curl --cacert).
	CAPEM []byte
	// Secret is the manifest of a kubernetes.io/tls Secret with the serving certificate and its key.
	Secret []byte
	// Pool trusts only the authority.
	Pool *x509.CertPool
}

// newTLSFiles makes a certificate authority and, in the Secret namespace/name, a serving certificate
// it signed for hosts.
func newTLSFiles(namespace, name string, hosts ...string) (*tlsFiles, error) {
	ca, err := pki.NewCA("gatebridge demo CA")
	if err != nil {
		return nil, err
	}
	leaf, err := ca.IssueNow(hosts...)
	if err != nil {
		return nil, err
	}
	secret, err := secretManifest(namespace, name, leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		return nil, err
	}
	return &tlsFiles{CAPEM: ca.CertPEM, Secret: secret, Pool: ca.Pool()}, nil
}

// secretManifest returns a kubernetes.io/tls Secret holding a certificate and its key.
func secretManifest(namespace, name string, cert, key []byte) ([]byte, error) {
	secret := map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata":   map[string]any{"name": name, "namespace": namespace},
		"type":       "kubernetes.io/tls",
		"data": map[string]string{
			"tls.crt": base64.StdEncoding.EncodeToString(cert),
			"tls.key": base64.StdEncoding.EncodeToString(key),
		},
	}
	body, err := yaml.Marshal(secret)
	if err != nil {
		return nil, fmt.Errorf("marshal secret %s/%s: %w", namespace, name, err)
	}
	header := "# Written by gatebridge demo at each start: a certificate signed by the local CA of ca.pem.\n"
	return append([]byte(header), body...), nil
}
