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
			name:     "a bad multiplier falls back to 5",
			in:       map[string]string{"limit-rps": "1", "limit-burst-multiplier": "-1"},
			want:     NginxPolicy{RateLimit: &RateLimit{PerSecond: 1, BurstMultiplier: 5}},
			findings: map[string]FindingKind{"limit-burst-multiplier": Invalid},
		},
	})
}
