package annotations

import "testing"

func TestSourceRanges(t *testing.T) {
	runPolicyCases(t, []policyCase{
		{
			name: "allow-list with a bare IPv4 and IPv6 address and a CIDR that is not masked",
			in:   map[string]string{"whitelist-source-range": "10.1.2.3/8, 192.168.0.7,2001:db8::1"},
			want: NginxPolicy{SourceRanges: &SourceRanges{Allow: []string{"10.0.0.0/8", "192.168.0.7/32", "2001:db8::1/128"}}},
		},
		{
			name: "the newer allowlist spelling wins over whitelist",
			in:   map[string]string{"allowlist-source-range": "127.0.0.2", "whitelist-source-range": "10.0.0.0/8"},
			want: NginxPolicy{SourceRanges: &SourceRanges{Allow: []string{"127.0.0.2/32"}}},
		},
		{
			name: "an allow-list of every address asks nothing",
			in:   map[string]string{"whitelist-source-range": "0.0.0.0/0,::/0"},
		},
		{
			name: "deny-list only",
			in:   map[string]string{"denylist-source-range": "127.0.0.3"},
			want: NginxPolicy{SourceRanges: &SourceRanges{Deny: []string{"127.0.0.3/32"}}},
		},
		{
			name:     "bad entries are reported and skipped",
			in:       map[string]string{"allowlist-source-range": "10.0.0.0/8,nope,1.2.3.4/33", "denylist-source-range": "x"},
			want:     NginxPolicy{SourceRanges: &SourceRanges{Allow: []string{"10.0.0.0/8"}, Deny: []string{}}},
			findings: map[string]FindingKind{"allowlist-source-range": Invalid, "denylist-source-range": Invalid},
		},
		{
			name:     "an allow-list without a usable range refuses everyone",
			in:       map[string]string{"allowlist-source-range": "everyone"},
			want:     NginxPolicy{SourceRanges: &SourceRanges{Allow: []string{}}},
			findings: map[string]FindingKind{"allowlist-source-range": Invalid},
		},
	})
}
