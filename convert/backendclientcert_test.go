package convert

import (
	"bytes"
	"testing"
)

// TestBackendClientCertMaterial checks that the credential of a Gateway's client certificate for a
// BackendTLSPolicy's backend reaches the snapshot with the Secret's certificate and key and the
// policy's CA certificates, and that the shared rule's credential keeps the CA alone.
func TestBackendClientCertMaterial(t *testing.T) {
	in, err := LoadPaths("default", "testdata/gwapi-backend-client-certificate.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := Translate(in, Options{Now: goldenNow})
	var cm, secret []byte
	for _, c := range in.ConfigMaps {
		if c.Name == "backend-ca" {
			cm = []byte(c.Data["ca.crt"])
		}
	}
	for _, s := range in.Secrets {
		if s.Namespace == "infra" && s.Name == "client-tls" {
			secret = []byte(s.StringData["tls.crt"])
		}
	}
	got := map[string]bool{}
	for _, s := range res.Snapshot.Secrets {
		switch s.Name {
		case "backendtlspolicy/infra/secure/client/infra/client-tls":
			got[s.Name] = bytes.Equal(s.CA, cm) && bytes.Equal(s.Cert, secret) && len(s.Key) > 0
		case "backendtlspolicy/infra/secure":
			got[s.Name] = bytes.Equal(s.CA, cm) && len(s.Cert) == 0 && len(s.Key) == 0
		}
	}
	for _, name := range []string{"backendtlspolicy/infra/secure/client/infra/client-tls", "backendtlspolicy/infra/secure"} {
		if !got[name] {
			t.Errorf("%s: material missing or not what the rule needs (found: %v)", name, got)
		}
	}
}
