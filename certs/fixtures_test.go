package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/internal/pki"
)

// The fixtures in testdata/tls are fixed TLS material for golden files (these and convert's): golden
// output must not change between runs, so the material is generated once and committed. Their
// validity is given relative to fixtureNow, the clock of the golden files.
var regenerate = flag.Bool("fixtures", false, "regenerate the TLS fixtures of certs/testdata/tls")

// fixtureNow is the clock of the golden files (convert's goldenNow).
var fixtureNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fixtures are the certificates of testdata/tls: name, validity, and the verdict wanted at fixtureNow.
var fixtures = []struct {
	name                string
	notBefore, notAfter time.Time
	wantErr             string
}{
	{"valid", date(2025, 1, 1), date(2036, 1, 1), ""},
	{"expired", date(2024, 1, 1), date(2025, 1, 1), "certificate expired at 2025-01-01T00:00:00Z"},
	{"future", date(2027, 1, 1), date(2028, 1, 1), "certificate is not valid before 2027-01-01T00:00:00Z"},
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func fixturePath(name string) string { return filepath.Join("testdata", "tls", name) }

func TestFixtures(t *testing.T) {
	if *regenerate {
		writeFixtures(t)
	}
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			v := Check(fixtureSecret(t, f.name, f.name+".crt", f.name+".key"), fixtureNow)
			want := ""
			if f.wantErr != "" {
				want = "secret ns/" + f.name + ": " + f.wantErr
			}
			if got := errString(v.Err); got != want {
				t.Errorf("verdict at %s: %q, want %q", fixtureNow, got, want)
			}
		})
	}
	t.Run("other key", func(t *testing.T) {
		v := Check(fixtureSecret(t, "mismatch", "valid.crt", "other.key"), fixtureNow)
		if v.Err == nil {
			t.Error("valid.crt with other.key is usable, want a mismatch")
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// fixtureSecret makes the Secret ns/name from two fixture files.
func fixtureSecret(t *testing.T, name, cert, key string) *corev1.Secret {
	t.Helper()
	c, err := os.ReadFile(fixturePath(cert))
	if err != nil {
		t.Fatalf("%v (run go test ./certs -run TestFixtures -fixtures)", err)
	}
	k, err := os.ReadFile(fixturePath(key))
	if err != nil {
		t.Fatal(err)
	}
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: c, corev1.TLSPrivateKeyKey: k}}
}

func writeFixtures(t *testing.T) {
	t.Helper()
	ca, err := pki.NewCA("gatebridge golden CA")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(fixturePath(""), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range fixtures {
		leaf, err := ca.Issue([]string{"example.com", "*.example.com"}, f.notBefore, f.notAfter)
		if err != nil {
			t.Fatal(err)
		}
		write(t, f.name+".crt", leaf.CertPEM)
		write(t, f.name+".key", leaf.KeyPEM)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write(t, "other.key", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
}

func write(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(fixturePath(name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
