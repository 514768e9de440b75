package annotations

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCertManagerFamilies(t *testing.T) {
	tests := []struct {
		name     string
		in       map[string]string
		findings []Finding
	}{
		{name: "shim annotations are known", in: map[string]string{CertManagerClusterIssuer: "ca", CertManagerDuration: "2160h", CertManagerIgnoreTLSListeners: "a"}},
		{name: "ACME annotations are known", in: map[string]string{ACMEHTTP01EditInPlace: "true", ACMEHTTP01IngressClassName: "gatebridge"}},
		{
			name:     "an unknown ACME annotation",
			in:       map[string]string{CertManagerACMEPrefix + "http01-edit-inplace": "true"},
			findings: []Finding{{Key: CertManagerACMEPrefix + "http01-edit-inplace", Kind: Unknown, Message: "unknown cert-manager ACME annotation; it has no effect"}},
		},
		{
			name:     "an unknown cert-manager annotation",
			in:       map[string]string{CertManagerPrefix + "durations": "1h"},
			findings: []Finding{{Key: CertManagerPrefix + "durations", Kind: Unknown, Message: "unknown cert-manager annotation; it has no effect"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, findings := ParseIngress(tt.in)
			if diff := cmp.Diff(tt.findings, findings); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCertManagerKeys checks that every key constant is in its family, so that the names are written
// once.
func TestCertManagerKeys(t *testing.T) {
	for _, k := range certManagerKeys {
		if name, ok := strings.CutPrefix(k, CertManagerPrefix); !ok || !certManagerFamily.known[name] {
			t.Errorf("%s is not a known key of the cert-manager family", k)
		}
	}
	for _, k := range certManagerACMEKeys {
		if name, ok := strings.CutPrefix(k, CertManagerACMEPrefix); !ok || !certManagerACMEFamily.known[name] {
			t.Errorf("%s is not a known key of the cert-manager ACME family", k)
		}
	}
}
