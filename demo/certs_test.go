package demo

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatebridge/gatebridge/certs"
	"github.com/gatebridge/gatebridge/convert"
)

func TestNewTLSFiles(t *testing.T) {
	tlsf, err := newTLSFiles("shop", "shop-tls", "shop.example.com")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(tlsf.CAPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("ca.pem holds no certificate")
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !ca.IsCA {
		t.Fatalf("ca.pem: not a CA certificate (%v)", err)
	}

	// The Secret manifest loads the way standalone mode loads it, and its material can be served.
	path := filepath.Join(t.TempDir(), "shop-tls.yaml")
	if err := os.WriteFile(path, tlsf.Secret, 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := convert.LoadPaths("default", path)
	if err != nil {
		t.Fatalf("load the secret manifest: %v", err)
	}
	if len(in.Secrets) != 1 || in.Secrets[0].Type != "kubernetes.io/tls" {
		t.Fatalf("got secrets %v, want one kubernetes.io/tls Secret", in.Secrets)
	}
	material, errs := certs.Material(in.Secrets, []string{"shop/shop-tls"}, time.Now())
	if len(errs) != 0 || len(material) != 1 {
		t.Fatalf("certs.Material: %d served, errors %v", len(material), errs)
	}

	block, _ = pem.Decode(material[0].Cert)
	if block == nil {
		t.Fatal("tls.crt holds no PEM block")
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != "shop.example.com" {
		t.Errorf("SANs %v, want [shop.example.com]", leaf.DNSNames)
	}
	opts := x509.VerifyOptions{Roots: tlsf.Pool, DNSName: "shop.example.com", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if _, err := leaf.Verify(opts); err != nil {
		t.Errorf("the certificate does not verify against ca.pem: %v", err)
	}
	opts.DNSName = "other.example.com"
	if _, err := leaf.Verify(opts); err == nil {
		t.Errorf("the certificate verifies for other.example.com")
	}
	if !strings.HasPrefix(string(tlsf.Secret), "#") {
		t.Errorf("the secret manifest does not say where it comes from")
	}
}
