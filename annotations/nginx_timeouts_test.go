package annotations

import "testing"

func TestProxyTimeouts(t *testing.T) {
	runPolicyCases(t, []policyCase{
		{name: "read timeout", in: map[string]string{"proxy-read-timeout": "120"}, want: NginxPolicy{IdleTimeoutSeconds: 120}, findings: map[string]FindingKind{"proxy-read-timeout": Approximated}},
		{
			name:     "the larger of the two",
			in:       map[string]string{"proxy-read-timeout": "30", "proxy-send-timeout": "90s"},
			want:     NginxPolicy{IdleTimeoutSeconds: 90},
			findings: map[string]FindingKind{"proxy-read-timeout": Approximated, "proxy-send-timeout": Approximated},
		},
		{name: "not a number", in: map[string]string{"proxy-send-timeout": "1m"}, findings: map[string]FindingKind{"proxy-send-timeout": Invalid}},
	})
}
