package pki

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"
)

func TestIssueVerifiesAgainstCA(t *testing.T) {
	ca, err := NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.IssueNow("a.example.com", "b.example.com")
	if err != nil {
		t.Fatal(err)
	}
	cert := parseLeaf(t, leaf)
	for _, host := range []string{"a.example.com", "b.example.com"} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: host, Roots: ca.Pool()}); err != nil {
			t.Errorf("verify for %s: %v", host, err)
		}
	}
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "c.example.com", Roots: ca.Pool()}); err == nil {
		t.Errorf("certificate verified for a name it does not carry")
	}
	other, _ := ca.IssueNow("a.example.com")
	if other.Serial.Cmp(leaf.Serial) == 0 {
		t.Errorf("two certificates got serial %v", leaf.Serial)
	}
	if _, err := ca.IssueNow(); err == nil {
		t.Error("a certificate without hosts was issued")
	}
	expired, err := ca.Issue([]string{"a.example.com"}, time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := tls.X509KeyPair(expired.CertPEM, expired.KeyPEM)
	if x, _ := x509.ParseCertificate(c.Certificate[0]); !x.NotAfter.Before(time.Now()) {
		t.Errorf("expired certificate ends %v", x.NotAfter)
	}
}

func TestIssueClientVerifiesForClientAuth(t *testing.T) {
	ca, err := NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.IssueClient("alice")
	if err != nil {
		t.Fatal(err)
	}
	cert := parseLeaf(t, leaf)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("verify for client authentication: %v", err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Error("a client certificate verified for server authentication")
	}
}

// parseLeaf checks that the leaf's certificate and key pair and returns the certificate.
func parseLeaf(t *testing.T, leaf *Leaf) *x509.Certificate {
	t.Helper()
	pair, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		t.Fatalf("certificate and key do not pair: %v", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
