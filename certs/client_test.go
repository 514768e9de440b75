package certs

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/internal/pki"
)

// TestClientMaterial checks what a DestinationRule's credentialName yields: the CA certificates alone
// for SIMPLE TLS, the certificate and key as well for MUTUAL, and an error (naming the Secret, never
// quoting it) when the mode's material is missing or does not parse.
func TestClientMaterial(t *testing.T) {
	now := time.Now()
	ca, err := pki.NewCA("client test")
	if err != nil {
		t.Fatal(err)
	}
	cert, key := issue(t, now.Add(-time.Hour), now.Add(time.Hour))
	secret := func(name string, typ corev1.SecretType, data map[string][]byte) corev1.Secret {
		return corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Type: typ, Data: data}
	}
	secrets := []corev1.Secret{
		secret("ca-only", corev1.SecretTypeOpaque, map[string][]byte{CACertKey: ca.CertPEM}),
		secret("full", corev1.SecretTypeTLS, map[string][]byte{CACertKey: ca.CertPEM, corev1.TLSCertKey: cert, corev1.TLSPrivateKeyKey: key}),
		secret("pair-only", corev1.SecretTypeTLS, map[string][]byte{corev1.TLSCertKey: cert, corev1.TLSPrivateKeyKey: key}),
		secret("bad-ca", corev1.SecretTypeOpaque, map[string][]byte{CACertKey: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}),
		secret("key-as-ca", corev1.SecretTypeOpaque, map[string][]byte{CACertKey: key}),
		secret("docker", corev1.SecretTypeDockerConfigJson, map[string][]byte{CACertKey: ca.CertPEM}),
	}
	tests := []struct {
		name     string
		mutual   bool
		wantCA   bool
		wantPair bool
		wantErr  string
	}{
		{name: "ca-only", wantCA: true},
		{name: "ca-only", mutual: true, wantErr: "has no tls.crt"},
		{name: "full", wantCA: true},
		{name: "full", mutual: true, wantCA: true, wantPair: true},
		{name: "pair-only", mutual: true, wantPair: true},
		{name: "pair-only", wantErr: "has no ca.crt"},
		{name: "bad-ca", wantErr: "ca.crt: certificate 1 does not parse"},
		{name: "key-as-ca", wantErr: "ca.crt: block 1 is a EC PRIVATE KEY"},
		{name: "docker", wantErr: "has type kubernetes.io/dockerconfigjson"},
		{name: "absent", wantErr: "not found"},
	}
	for _, tt := range tests {
		v := Validate(secrets, now)
		m, err := v.ClientMaterial("ns/"+tt.name, tt.mutual)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidSecret) {
				t.Errorf("%s (mutual %t): error %v, want one containing %q", tt.name, tt.mutual, err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "BEGIN") {
				t.Errorf("%s: the error quotes the Secret: %v", tt.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s (mutual %t): %v", tt.name, tt.mutual, err)
			continue
		}
		if got := bytes.Equal(m.CA, ca.CertPEM); got != tt.wantCA {
			t.Errorf("%s (mutual %t): CA %t, want %t", tt.name, tt.mutual, got, tt.wantCA)
		}
		if got := bytes.Equal(m.Cert, cert) && bytes.Equal(m.Key, key); got != tt.wantPair {
			t.Errorf("%s (mutual %t): certificate and key %t, want %t", tt.name, tt.mutual, got, tt.wantPair)
		}
		if m.Name != "ns/"+tt.name {
			t.Errorf("%s: named %q", tt.name, m.Name)
		}
	}
}
