package certs

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/internal/pki"
)

func issue(t *testing.T, notBefore, notAfter time.Time) (certPEM, keyPEM []byte) {
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

// rsaPair makes a self-signed RSA certificate and its PKCS#1 key.
func rsaPair(t *testing.T, bits int, now time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rsa"}, DNSNames: []string{"rsa.example.com"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

func tlsSecret(name string, cert, key []byte) corev1.Secret {
	return corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: cert, corev1.TLSPrivateKeyKey: key}}
}

func TestCheck(t *testing.T) {
	now := time.Now()
	cert, key := issue(t, now.Add(-time.Hour), now.Add(time.Hour))
	_, otherKey := issue(t, now.Add(-time.Hour), now.Add(time.Hour))
	oldCert, oldKey := issue(t, now.Add(-2*time.Hour), now.Add(-time.Hour))
	newCert, newKey := issue(t, now.Add(time.Hour), now.Add(2*time.Hour))
	skewCert, skewKey := issue(t, now.Add(time.Minute), now.Add(time.Hour))
	rsaCert, rsaKey := rsaPair(t, 2048, now)
	weakCert, weakKey := rsaPair(t, 1024, now)
	chain := append(append([]byte{}, cert...), cert...)
	keyBlock, _ := pem.Decode(key)
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: keyBlock.Bytes})
	opaque := tlsSecret("opaque", cert, key)
	opaque.Type = corev1.SecretTypeOpaque
	wrongType := tlsSecret("wrong-type", cert, key)
	wrongType.Type = corev1.SecretTypeDockerConfigJson
	stringData := corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "string-data", Namespace: "ns"},
		StringData: map[string]string{corev1.TLSCertKey: string(cert), corev1.TLSPrivateKeyKey: string(key)}}
	tests := []struct {
		name    string
		secret  corev1.Secret
		now     time.Time
		wantErr string
	}{
		{"usable", tlsSecret("good", cert, key), now, ""},
		{"chain", tlsSecret("chain", chain, key), now, ""},
		{"RSA 2048", tlsSecret("rsa", rsaCert, rsaKey), now, ""},
		{"opaque type", opaque, now, ""},
		{"stringData", stringData, now, ""},
		{"signed by a clock a minute ahead", tlsSecret("skew", skewCert, skewKey), now, ""},
		{"expired, no clock", tlsSecret("expired", oldCert, oldKey), time.Time{}, ""},
		{"mismatched key", tlsSecret("mismatch", cert, otherKey), now, "secret ns/mismatch: tls.key does not match the certificate in tls.crt"},
		{"expired", tlsSecret("expired", oldCert, oldKey), now, "secret ns/expired: certificate expired at "},
		{"not yet valid", tlsSecret("future", newCert, newKey), now, "secret ns/future: certificate is not valid before "},
		{"certificate not PEM", tlsSecret("garbage", []byte("not pem"), key), now, "secret ns/garbage: tls.crt: no PEM certificate"},
		{"certificate does not parse", tlsSecret("bad-der", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("x")}), key), now, "secret ns/bad-der: tls.crt: certificate 1 does not parse"},
		{"key not PEM", tlsSecret("bad-key", cert, []byte("key")), now, "secret ns/bad-key: tls.key: no PEM private key"},
		{"key encrypted", tlsSecret("encrypted", cert, encrypted), now, "secret ns/encrypted: tls.key: the private key is encrypted"},
		{"no key", tlsSecret("no-key", cert, nil), now, "secret ns/no-key: has no tls.key"},
		{"no certificate", tlsSecret("no-cert", nil, key), now, "secret ns/no-cert: has no tls.crt"},
		{"wrong type", wrongType, now, "secret ns/wrong-type: has type kubernetes.io/dockerconfigjson, want kubernetes.io/tls"},
		{"RSA 1024", tlsSecret("weak", weakCert, weakKey), now, "secret ns/weak: RSA key of 1024 bits; Envoy takes 2048 bits or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Check(&tt.secret, tt.now)
			if tt.wantErr == "" {
				if v.Err != nil {
					t.Fatalf("Check: %v, want usable", v.Err)
				}
				if v.Material.Name != "ns/"+tt.secret.Name || len(v.Material.Cert) == 0 || len(v.Material.Key) == 0 {
					t.Errorf("material %q with %d and %d bytes, want the Secret's", v.Material.Name, len(v.Material.Cert), len(v.Material.Key))
				}
				return
			}
			if v.Err == nil || !strings.HasPrefix(v.Err.Error(), tt.wantErr) || !errors.Is(v.Err, ErrInvalidSecret) || errors.Is(v.Err, ErrSecretNotFound) {
				t.Fatalf("Check: %v, want an ErrInvalidSecret starting with %q", v.Err, tt.wantErr)
			}
			if strings.Contains(v.Err.Error(), "BEGIN") || v.Material.Cert != nil {
				t.Errorf("an unusable Secret leaks material: %v", v.Err)
			}
		})
	}
}

func TestVerdicts(t *testing.T) {
	now := time.Now()
	cert, key := issue(t, now.Add(-time.Hour), now.Add(time.Hour))
	_, otherKey := issue(t, now.Add(-time.Hour), now.Add(time.Hour))
	v := Validate([]corev1.Secret{tlsSecret("b", cert, key), tlsSecret("a", cert, key), tlsSecret("bad", cert, otherKey)}, now)
	material, errs := v.Material([]string{"ns/b", "ns/missing", "ns/a", "ns/bad", "ns/a"})
	if len(material) != 2 || material[0].Name != "ns/a" || material[1].Name != "ns/b" {
		t.Errorf("material %v, want ns/a and ns/b once each, sorted", material)
	}
	if len(errs) != 2 || !errors.Is(errs[0], ErrSecretNotFound) || !strings.HasPrefix(errs[0].Error(), "secret ns/missing not found") || errors.Is(errs[1], ErrSecretNotFound) {
		t.Errorf("errors %v, want ns/missing not found, then ns/bad invalid", errs)
	}
	if err := v.Err("ns/missing"); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("Err of a missing Secret: %v, want ErrInvalidSecret too", err)
	}
	if err := v.Err("ns/a"); err != nil {
		t.Errorf("Err of a usable Secret: %v", err)
	}
	// Material, the helper that validates and picks in one call, agrees.
	m2, errs2 := Material([]corev1.Secret{tlsSecret("a", cert, key)}, []string{"ns/a", "ns/missing"}, now)
	if len(m2) != 1 || len(errs2) != 1 {
		t.Errorf("Material: %d served, errors %v; want ns/a served and ns/missing reported", len(m2), errs2)
	}
}

func TestNextChange(t *testing.T) {
	now := date(2026, 1, 1)
	v := &Verdicts{now: now, checked: map[string]Verdict{
		"ns/long":   {NotBefore: date(2025, 1, 1), NotAfter: date(2027, 1, 1)},
		"ns/short":  {NotBefore: date(2025, 6, 1), NotAfter: date(2026, 2, 1)},
		"ns/future": {NotBefore: date(2026, 3, 1), NotAfter: date(2026, 4, 1)},
		"ns/soon":   {NotBefore: date(2026, 1, 1).Add(2 * clockSkew), NotAfter: date(2026, 4, 1)},
		"ns/gone":   {NotBefore: date(2024, 1, 1), NotAfter: date(2025, 1, 1)},
		"ns/none":   {},
	}}
	if got, want := v.NextChange(), now.Add(clockSkew); !got.Equal(want) {
		t.Errorf("NextChange = %s, want %s (when the soon valid certificate is taken)", got, want)
	}
	delete(v.checked, "ns/soon")
	if got, want := v.NextChange(), date(2026, 2, 1).Add(time.Second); !got.Equal(want) {
		t.Errorf("NextChange = %s, want %s (just after the short certificate expires)", got, want)
	}
	if got := (&Verdicts{now: now, checked: map[string]Verdict{"ns/gone": v.checked["ns/gone"]}}).NextChange(); !got.IsZero() {
		t.Errorf("NextChange with only expired certificates = %s, want zero", got)
	}
	if got := (&Verdicts{checked: v.checked}).NextChange(); !got.IsZero() {
		t.Errorf("NextChange without a clock = %s, want zero", got)
	}
}

// TestVerdictsOnDemand checks that a Secret is judged only once asked about: one that nobody names
// costs no parsing and does not wake translation when its certificate expires.
func TestVerdictsOnDemand(t *testing.T) {
	now := time.Now()
	cert, key := issue(t, now.Add(-time.Hour), now.Add(time.Hour))
	unnamedCert, unnamedKey := issue(t, now.Add(-time.Hour), now.Add(time.Minute))
	v := Validate([]corev1.Secret{tlsSecret("named", cert, key), tlsSecret("unnamed", unnamedCert, unnamedKey)}, now)
	if got := v.NextChange(); !got.IsZero() {
		t.Errorf("NextChange before any question = %s, want zero", got)
	}
	if err := v.Err("ns/named"); err != nil {
		t.Fatalf("Err of a usable Secret: %v", err)
	}
	if _, ok := v.checked["ns/unnamed"]; ok || len(v.checked) != 1 {
		t.Errorf("checked %d Secrets, want only ns/named", len(v.checked))
	}
	if got, want := v.NextChange(), now.Add(time.Hour).Truncate(time.Second).Add(time.Second); !got.Equal(want) {
		t.Errorf("NextChange = %s, want %s (when ns/named expires; ns/unnamed was never asked about)", got, want)
	}
}

func TestCovers(t *testing.T) {
	now := time.Now()
	ca, err := pki.NewCA("certs test")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue([]string{"example.com", "www.example.com", "*.apps.example.com"}, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey := issue(t, now.Add(-time.Hour), now.Add(time.Hour))
	v := Validate([]corev1.Secret{tlsSecret("a", leaf.CertPEM, leaf.KeyPEM), tlsSecret("bad", leaf.CertPEM, otherKey)}, now)
	for _, tc := range []struct {
		secret, host string
		want         bool
	}{
		{"ns/a", "www.example.com", true},
		{"ns/a", "x.apps.example.com", true},
		{"ns/a", "*.apps.example.com", true},
		{"ns/a", "other.example.com", false},
		{"ns/a", "a.b.apps.example.com", false},
		{"ns/bad", "www.example.com", false},
		{"ns/missing", "www.example.com", false},
	} {
		if got := v.Covers(tc.secret, tc.host); got != tc.want {
			t.Errorf("Covers(%s, %s) = %v, want %v", tc.secret, tc.host, got, tc.want)
		}
	}
}
