// Package pki makes small local certificate authorities and the certificates they sign: for tests, and
// for the demo that `make run` starts. It is not for production material (cert-manager issues that).
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// CA is a self-signed certificate authority.
type CA struct {
	Cert *x509.Certificate
	// CertPEM is the CA certificate, for clients to trust.
	CertPEM []byte
	key     *ecdsa.PrivateKey
}

// NewCA makes a CA valid for a year from an hour ago.
func NewCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("sign CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	return &CA{Cert: cert, CertPEM: pemBlock("CERTIFICATE", der), key: key}, nil
}

// Leaf is a certificate signed by a CA (serving or client) and its key, PEM-encoded as in a kubernetes.io/tls Secret.
type Leaf struct {
	CertPEM, KeyPEM []byte
	// Serial tells certificates of the same names apart (a rotated certificate has a new one).
	Serial *big.Int
}

// Issue signs a serving certificate for hosts (DNS names), valid from notBefore to notAfter.
func (ca *CA) Issue(hosts []string, notBefore, notAfter time.Time) (*Leaf, error) {
	if len(hosts) == 0 {
		return nil, errors.New("a serving certificate needs at least one host")
	}
	leaf, err := ca.sign(&x509.Certificate{
		Subject:     pkix.Name{CommonName: hosts[0]},
		DNSNames:    hosts,
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return nil, fmt.Errorf("certificate for %v: %w", hosts, err)
	}
	return leaf, nil
}

// IssueClient signs a client certificate (for mutual TLS) with the common name name, valid for 90
// days from an hour ago.
func (ca *CA) IssueClient(name string) (*Leaf, error) {
	now := time.Now()
	leaf, err := ca.sign(&x509.Certificate{
		Subject:     pkix.Name{CommonName: name},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(90 * 24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return nil, fmt.Errorf("client certificate %s: %w", name, err)
	}
	return leaf, nil
}

// sign gives tmpl a new P-256 key, a random serial number and the digital-signature key usage, and
// signs it with the CA.
func (ca *CA) sign(tmpl *x509.Certificate) (*Leaf, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	tmpl.SerialNumber = serial()
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal key: %w", err)
	}
	return &Leaf{CertPEM: pemBlock("CERTIFICATE", der), KeyPEM: pemBlock("EC PRIVATE KEY", kder), Serial: tmpl.SerialNumber}, nil
}

// IssueNow signs a serving certificate for hosts valid for 90 days from an hour ago.
func (ca *CA) IssueNow(hosts ...string) (*Leaf, error) {
	now := time.Now()
	return ca.Issue(hosts, now.Add(-time.Hour), now.Add(90*24*time.Hour))
}

// Pool is a certificate pool that trusts only the CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		panic(fmt.Sprintf("read random serial: %v", err)) // crypto/rand does not fail on supported systems
	}
	return n
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
