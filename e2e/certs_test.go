package e2e

import (
	"crypto/tls"
	"testing"

	"github.com/gatebridge/gatebridge/internal/pki"
)

// newCA makes a CA for the test.
func newCA(t *testing.T, name string) *pki.CA {
	t.Helper()
	ca, err := pki.NewCA(name)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// issueLeaf signs a serving certificate for host (and more names) with ca.
func issueLeaf(t *testing.T, ca *pki.CA, host string, more ...string) *pki.Leaf {
	t.Helper()
	leaf, err := ca.IssueNow(append([]string{host}, more...)...)
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

// keyPair is a serving certificate for host signed by ca, for a tls.Config.
func keyPair(t *testing.T, ca *pki.CA, host string) tls.Certificate {
	t.Helper()
	return leafPair(t, issueLeaf(t, ca, host))
}

// leafPair is leaf as a certificate for a tls.Config.
func leafPair(t *testing.T, leaf *pki.Leaf) tls.Certificate {
	t.Helper()
	pair, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

// newClient signs a client certificate with the common name name with ca.
func newClient(t *testing.T, ca *pki.CA, name string) *pki.Leaf {
	t.Helper()
	leaf, err := ca.IssueClient(name)
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}
