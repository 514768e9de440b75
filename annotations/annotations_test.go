package annotations

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseIngress(t *testing.T) {
	tests := []struct {
		name     string
		in       map[string]string
		want     Ingress
		findings []Finding
	}{
		{name: "none", in: nil},
		{name: "class", in: map[string]string{ClassAnnotation: "gatebridge"}, want: Ingress{Class: "gatebridge", HasClass: true}},
		{name: "empty class is still set", in: map[string]string{ClassAnnotation: ""}, want: Ingress{HasClass: true}},
		{name: "foreign annotations are ignored", in: map[string]string{"example.com/x": "1", "kubectl.kubernetes.io/last-applied-configuration": "{}"}},
		{name: "cert-manager keys are known", in: map[string]string{"cert-manager.io/cluster-issuer": "le"}},
		{
			name: "known nginx keys are unsupported, unknown ones unknown, sorted",
			in: map[string]string{
				NginxPrefix + "server-snippet":        "x",
				NginxPrefix + "configuration-snippet": "more_set_headers x",
				NginxPrefix + "no-such-thing":         "1",
			},
			findings: []Finding{
				{Key: NginxPrefix + "configuration-snippet", Kind: Unsupported, Message: "not supported by gatebridge; it has no effect"},
				{Key: NginxPrefix + "no-such-thing", Kind: Unknown, Message: "unknown ingress-nginx annotation; it has no effect"},
				{Key: NginxPrefix + "server-snippet", Kind: Unsupported, Message: "not supported by gatebridge; it has no effect"},
			},
		},
		{
			name: "an allow-list of every address restricts nothing: no finding (cert-manager's solver Ingresses)",
			in:   map[string]string{NginxPrefix + "whitelist-source-range": "0.0.0.0/0,::/0"},
		},
		{
			name: "a real allow-list is served as a route policy",
			in:   map[string]string{NginxPrefix + "whitelist-source-range": "0.0.0.0/0,10.0.0.0/8"},
			want: Ingress{Policy: NginxPolicy{SourceRanges: &SourceRanges{Allow: []string{"0.0.0.0/0", "10.0.0.0/8"}}}},
		},
		{
			name:     "unknown cert-manager and gatebridge keys",
			in:       map[string]string{"cert-manager.io/isuer": "x", Prefix + "nope": "1"},
			findings: []Finding{{Key: "cert-manager.io/isuer", Kind: Unknown, Message: "unknown cert-manager annotation; it has no effect"}, {Key: Prefix + "nope", Kind: Unknown, Message: "unknown gatebridge annotation; it has no effect"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, findings := ParseIngress(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.findings, findings); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseEndpoints(t *testing.T) {
	tests := []struct {
		in      string
		want    []HostPort
		wantErr bool
	}{
		{in: "127.0.0.1:8080", want: []HostPort{{"127.0.0.1", 8080}}},
		{in: " 127.0.0.1:1, [::1]:2 ,", want: []HostPort{{"127.0.0.1", 1}, {"::1", 2}}},
		{in: "", wantErr: true},
		{in: "127.0.0.1", wantErr: true},
		{in: "127.0.0.1:0", wantErr: true},
		{in: "127.0.0.1:70000", wantErr: true},
		{in: ":80", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseEndpoints(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseEndpoints(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseEndpoints(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}
