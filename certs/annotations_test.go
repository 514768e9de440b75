package certs

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/annotations"
)

func duration(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

func int32p(i int32) *int32 { return &i }

func TestParseAnnotations(t *testing.T) {
	const p = annotations.CertManagerPrefix
	tests := []struct {
		name    string
		in      map[string]string
		want    Settings
		invalid []string // keys with an Invalid finding
	}{
		{name: "none", in: nil},
		{name: "issuer", in: map[string]string{p + "issuer": "ca"}, want: Settings{Requested: true, Issuer: IssuerRef{Name: "ca", Kind: KindIssuer}}},
		{name: "cluster issuer", in: map[string]string{p + "cluster-issuer": "le"}, want: Settings{Requested: true, Issuer: IssuerRef{Name: "le", Kind: KindClusterIssuer}}},
		{
			name: "out-of-tree issuer", in: map[string]string{p + "issuer": "pca", p + "issuer-kind": "AWSPCAIssuer", p + "issuer-group": "awspca.cert-manager.io"},
			want: Settings{Requested: true, Issuer: IssuerRef{Name: "pca", Kind: "AWSPCAIssuer", Group: "awspca.cert-manager.io"}},
		},
		{name: "both issuers", in: map[string]string{p + "issuer": "a", p + "cluster-issuer": "b"}, want: Settings{Requested: true, Issuer: IssuerRef{Name: "b", Kind: KindClusterIssuer}}, invalid: []string{p + "cluster-issuer"}},
		{name: "cluster issuer with group", in: map[string]string{p + "cluster-issuer": "b", p + "issuer-group": "x"}, want: Settings{Requested: true, Issuer: IssuerRef{Name: "b", Kind: KindClusterIssuer, Group: "x"}}, invalid: []string{p + "issuer-group"}},
		{name: "empty issuer", in: map[string]string{p + "issuer": ""}, want: Settings{Requested: true, Issuer: IssuerRef{Kind: KindIssuer}}, invalid: []string{p + "issuer"}},
		{name: "lifetime", in: map[string]string{p + "duration": "48h", p + "renew-before": "12h"}, want: Settings{Duration: duration(48 * time.Hour), RenewBefore: duration(12 * time.Hour)}},
		{name: "bad duration", in: map[string]string{p + "duration": "2 days"}, invalid: []string{p + "duration"}},
		{name: "duration under an hour", in: map[string]string{p + "duration": "30m"}, want: Settings{Duration: duration(30 * time.Minute)}, invalid: []string{p + "duration"}},
		{name: "renew-before not shorter than duration", in: map[string]string{p + "duration": "24h", p + "renew-before": "24h"}, want: Settings{Duration: duration(24 * time.Hour), RenewBefore: duration(24 * time.Hour)}, invalid: []string{p + "renew-before"}},
		{name: "renew-before beyond the default duration", in: map[string]string{p + "renew-before": "2200h"}, want: Settings{RenewBefore: duration(2200 * time.Hour)}, invalid: []string{p + "renew-before"}},
		{name: "renew-before too short", in: map[string]string{p + "renew-before": "1m"}, want: Settings{RenewBefore: duration(time.Minute)}, invalid: []string{p + "renew-before"}},
		{name: "renew-before and percentage", in: map[string]string{p + "renew-before": "1h", p + "renew-before-percentage": "20"}, want: Settings{RenewBefore: duration(time.Hour), RenewBeforePercentage: int32p(20)}, invalid: []string{p + "renew-before"}},
		{name: "percentage", in: map[string]string{p + "renew-before-percentage": "30"}, want: Settings{RenewBeforePercentage: int32p(30)}},
		{name: "percentage out of range", in: map[string]string{p + "renew-before-percentage": "100"}, want: Settings{RenewBeforePercentage: int32p(100)}, invalid: []string{p + "renew-before-percentage"}},
		{name: "revision history", in: map[string]string{p + "revision-history-limit": "0"}, want: Settings{RevisionHistoryLimit: int32p(0)}, invalid: []string{p + "revision-history-limit"}},
		{name: "usages trimmed", in: map[string]string{p + "usages": "server auth, client auth"}, want: Settings{Usages: []string{"server auth", "client auth"}}},
		{name: "unknown usage", in: map[string]string{p + "usages": "server auth,serverAuth"}, want: Settings{Usages: []string{"server auth", "serverAuth"}}, invalid: []string{p + "usages"}},
		{
			name: "private key", in: map[string]string{p + "private-key-algorithm": "ECDSA", p + "private-key-size": "521", p + "private-key-encoding": "PKCS8", p + "private-key-rotation-policy": "Never"},
			want: Settings{PrivateKey: &PrivateKey{Algorithm: "ECDSA", Size: 521, Encoding: "PKCS8", RotationPolicy: "Never"}},
		},
		{name: "RSA size by default", in: map[string]string{p + "private-key-size": "256"}, want: Settings{PrivateKey: &PrivateKey{Size: 256}}, invalid: []string{p + "private-key-size"}},
		{name: "Ed25519 ignores the size", in: map[string]string{p + "private-key-algorithm": "Ed25519", p + "private-key-size": "1"}, want: Settings{PrivateKey: &PrivateKey{Algorithm: "Ed25519", Size: 1}}},
		{name: "unknown algorithm", in: map[string]string{p + "private-key-algorithm": "rsa"}, want: Settings{PrivateKey: &PrivateKey{Algorithm: "rsa"}}, invalid: []string{p + "private-key-algorithm"}},
		{name: "unknown rotation policy", in: map[string]string{p + "private-key-rotation-policy": "Sometimes"}, want: Settings{PrivateKey: &PrivateKey{RotationPolicy: "Sometimes"}}, invalid: []string{p + "private-key-rotation-policy"}},
		{
			name: "names", in: map[string]string{p + "common-name": "a.example.com", p + "alt-names": "b.example.com,c.example.com", p + "ip-sans": "192.0.2.1,2001:db8::1", p + "email-sans": "a@example.com"},
			want: Settings{CommonName: "a.example.com", AltNames: []string{"b.example.com", "c.example.com"}, IPSANs: []string{"192.0.2.1", "2001:db8::1"}, EmailSANs: []string{"a@example.com"}},
		},
		{name: "bad names", in: map[string]string{p + "alt-names": "b.example.com, c.example.com", p + "ip-sans": "192.0.2", p + "email-sans": "nobody"},
			want:    Settings{AltNames: []string{"b.example.com", " c.example.com"}, IPSANs: []string{"192.0.2"}, EmailSANs: []string{"nobody"}},
			invalid: []string{p + "alt-names", p + "email-sans", p + "ip-sans"}},
		{
			name: "subject", in: map[string]string{p + "subject-organizations": `"Example, Inc.",Other`, p + "subject-serialnumber": "42"},
			want: Settings{Subject: &Subject{Organizations: []string{"Example, Inc.", "Other"}, SerialNumber: "42"}},
		},
		{name: "subject not CSV", in: map[string]string{p + "subject-countries": `"FR`}, want: Settings{Subject: &Subject{}}, invalid: []string{p + "subject-countries"}},
		{name: "secret template", in: map[string]string{p + "secret-template": `{"annotations": {"a": "b"}}`}, want: Settings{SecretTemplate: &SecretTemplate{Annotations: map[string]string{"a": "b"}}}},
		{name: "secret template with unknown field", in: map[string]string{p + "secret-template": `{"label": {}}`}, invalid: []string{p + "secret-template"}},
		{name: "secret template with a cert-manager annotation", in: map[string]string{p + "secret-template": `{"annotations": {"cert-manager.io/x": "y"}}`}, want: Settings{SecretTemplate: &SecretTemplate{Annotations: map[string]string{"cert-manager.io/x": "y"}}}, invalid: []string{p + "secret-template"}},
		{
			name: "ACME and listeners", in: map[string]string{annotations.ACMEHTTP01EditInPlace: "true", annotations.ACMEHTTP01IngressClassName: "gatebridge", p + "ignore-tls-listeners": "a, b,"},
			want: Settings{EditInPlace: true, HTTP01IngressClassName: "gatebridge", IgnoreTLSListeners: []string{"a", "b"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, findings := ParseAnnotations(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
			var invalid []string
			for _, f := range findings {
				if f.Kind == annotations.Invalid {
					invalid = append(invalid, f.Key)
				}
			}
			if diff := cmp.Diff(tt.invalid, invalid); diff != "" {
				t.Errorf("keys with Invalid findings (-want +got):\n%s\nfindings: %v", diff, findings)
			}
			if Invalid(findings) != (len(tt.invalid) > 0) {
				t.Errorf("Invalid(findings) = %t", Invalid(findings))
			}
		})
	}
}

func TestIngressCertificatesIssuer(t *testing.T) {
	ing := func(ann map[string]string) *networkingv1.Ingress {
		return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "i", Namespace: "ns", Annotations: ann},
			Spec: networkingv1.IngressSpec{TLS: []networkingv1.IngressTLS{{Hosts: []string{"a.example.com"}, SecretName: "a-tls"}}}}
	}
	def := ShimOptions{DefaultIssuer: IssuerRef{Name: "default", Kind: KindClusterIssuer}}
	tests := []struct {
		name    string
		ann     map[string]string
		opts    ShimOptions
		want    *IssuerRef // nil: no Certificate
		finding bool
	}{
		{name: "no annotation", ann: nil, opts: def},
		{name: "tls-acme without a default issuer", ann: map[string]string{annotations.TLSACME: "true"}, finding: true},
		{name: "tls-acme with the default issuer", ann: map[string]string{annotations.TLSACME: "true"}, opts: def, want: &def.DefaultIssuer},
		{name: "tls-acme false", ann: map[string]string{annotations.TLSACME: "false"}, opts: def},
		{name: "own auto annotation", ann: map[string]string{"example.com/tls": "1"}, opts: ShimOptions{DefaultIssuer: def.DefaultIssuer, AutoCertificateAnnotations: []string{"example.com/tls"}}, want: &def.DefaultIssuer},
		{name: "issuer wins over the default", ann: map[string]string{annotations.CertManagerIssuer: "ca", annotations.TLSACME: "true"}, opts: def, want: &IssuerRef{Name: "ca", Kind: KindIssuer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, findings := IngressCertificates(ing(tt.ann), tt.opts)
			if (len(findings) > 0) != tt.finding {
				t.Errorf("findings %v, want some: %t", findings, tt.finding)
			}
			if tt.want == nil {
				if len(got) != 0 {
					t.Errorf("got %d Certificates, want none", len(got))
				}
				return
			}
			if len(got) != 1 || got[0].Spec.IssuerRef != *tt.want {
				t.Fatalf("got %+v, want one Certificate from %+v", got, *tt.want)
			}
		})
	}
}
