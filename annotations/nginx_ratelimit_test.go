package annotations

import "testing"

func TestRateLimit(t *testing.T) {
	runPolicyCases(t, []policyCase{
		{name: "rps with the default burst multiplier", in: map[string]string{"limit-rps": "5"}, want: NginxPolicy{RateLimit: &RateLimit{PerSecond: 5, BurstMultiplier: 5}}},
		{name: "rpm and rps with a multiplier", in: map[string]string{"limit-rpm": "300", "limit-rps": "10", "limit-burst-multiplier": "2"}, want: NginxPolicy{RateLimit: &RateLimit{PerSecond: 10, PerMinute: 300, BurstMultiplier: 2}}},
		{name: "a multiplier alone asks nothing", in: map[string]string{"limit-burst-multiplier": "3"}},
		{
			name:     "a bad rate is reported and not applied",
			in:       map[string]string{"limit-rps": "fast", "limit-rpm": "0"},
			findings: map[string]FindingKind{"limit-rps": Invalid, "limit-rpm": Invalid},
		},
		{
			name: "an allowlist of ranges and addresses",
			in:   map[string]string{"limit-rps": "1", "limit-allowlist": "10.0.0.0/8, 192.168.1.7,2001:db8::/32"},
			want: NginxPolicy{RateLimit: &RateLimit{PerSecond: 1, BurstMultiplier: 5, Allowlist: []string{"10.0.0.0/8", "192.168.1.7/32", "2001:db8::/32"}}},
		},
		{
			name: "limit-allowlist wins over limit-whitelist",
			in:   map[string]string{"limit-rpm": "6", "limit-allowlist": "10.1.0.0/16", "limit-whitelist": "10.2.0.0/16"},
			want: NginxPolicy{RateLimit: &RateLimit{PerMinute: 6, BurstMultiplier: 5, Allowlist: []string{"10.1.0.0/16"}}},
		},
		{
			name: "the older limit-whitelist",
			in:   map[string]string{"limit-rpm": "6", "limit-whitelist": "10.2.0.1/16"},
			want: NginxPolicy{RateLimit: &RateLimit{PerMinute: 6, BurstMultiplier: 5, Allowlist: []string{"10.2.0.0/16"}}},
		},
		{
			name:     "bad ranges are reported, the others exempt",
			in:       map[string]string{"limit-rps": "1", "limit-allowlist": "10.0.0.0/33,nobody,127.0.0.1"},
			want:     NginxPolicy{RateLimit: &RateLimit{PerSecond: 1, BurstMultiplier: 5, Allowlist: []string{"127.0.0.1/32"}}},
			findings: map[string]FindingKind{"limit-allowlist": Invalid},
		},
		{
			name:     "no usable range exempts nobody",
			in:       map[string]string{"limit-rps": "1", "limit-allowlist": "nobody"},
			want:     NginxPolicy{RateLimit: &RateLimit{PerSecond: 1, BurstMultiplier: 5}},
			findings: map[string]FindingKind{"limit-allowlist": Invalid},
		},
		{name: "an allowlist without a limit asks nothing", in: map[string]string{"limit-allowlist": "10.0.0.0/8"}},
		{
			name:     "a bad multiplier falls back to 5",
			in:       map[string]string{"limit-rps": "1", "limit-burst-multiplier": "-1"},
			want:     NginxPolicy{RateLimit: &RateLimit{PerSecond: 1, BurstMultiplier: 5}},
			findings: map[string]FindingKind{"limit-burst-multiplier": Invalid},
		},
	})
}
