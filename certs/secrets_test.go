package certs

import (
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/internal/pki"
)

func selfSigned(t *testing.T, notBefore, notAfter time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	ca, err := pki.NewCA("certs test")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue([]string{"a.example.com"}, notBefore, notAfter)
	if err != nil {
		t.Fatal(err)
	}
	return leaf.CertPEM, leaf.KeyPEM
}

func tlsSecret(name string, cert, key []byte) corev1.Secret {
	return corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: cert, corev1.TLSPrivateKeyKey: key}}
}

func TestMaterial(t *testing.T) {
	now := time.Now()
	cert, key := selfSigned(t, now.Add(-time.Hour), now.Add(time.Hour))
	_, otherKey := selfSigned(t, now.Add(-time.Hour), now.Add(time.Hour))
	oldCert, oldKey := selfSigned(t, now.Add(-2*time.Hour), now.Add(-time.Hour))
	secrets := []corev1.Secret{
		tlsSecret("good", cert, key),
		tlsSecret("mismatch", cert, otherKey),
		tlsSecret("expired", oldCert, oldKey),
		tlsSecret("garbage", []byte("not pem"), key),
	}
	tests := []struct {
		name    string
		wantErr string
	}{
		{"ns/good", ""},
		{"ns/mismatch", "certificate and key"},
		{"ns/expired", "valid from"},
		{"ns/garbage", "certificate and key"},
		{"ns/missing", "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := Material(secrets, []string{tt.name}, now)
			if tt.wantErr == "" {
				if len(errs) != 0 || len(got) != 1 || got[0].Name != tt.name || string(got[0].Cert) != string(cert) {
					t.Fatalf("got %d secrets, errors %v; want the material of %s", len(got), errs, tt.name)
				}
				return
			}
			if len(got) != 0 || len(errs) != 1 || !errors.Is(errs[0], ErrInvalidSecret) || !strings.Contains(errs[0].Error(), tt.wantErr) {
				t.Fatalf("got %d secrets, errors %v; want one ErrInvalidSecret mentioning %q", len(got), errs, tt.wantErr)
			}
			if strings.Contains(errs[0].Error(), "BEGIN") {
				t.Errorf("the error quotes secret material: %v", errs[0])
			}
		})
	}
}
