package annotations

import "testing"

func TestNginxCanary(t *testing.T) {
	runRoutingCases(t, []routingCase[NginxCanary]{
		{name: "not a canary", want: NginxCanary{}},
		{name: "weight, default total", in: map[string]string{"canary": "true", "canary-weight": "10"}, want: NginxCanary{Enabled: true, Weight: 10, WeightTotal: 100}},
		{name: "weight of a total", in: map[string]string{"canary": "true", "canary-weight": "1", "canary-weight-total": "1000"}, want: NginxCanary{Enabled: true, Weight: 1, WeightTotal: 1000}},
		{name: "negative weight", in: map[string]string{"canary": "true", "canary-weight": "-1"}, want: NginxCanary{Enabled: true, WeightTotal: 100},
			findings: map[string]FindingKind{"canary-weight": Invalid}},
		{name: "header with value wins over pattern", in: map[string]string{"canary": "true", "canary-by-header": "X-Canary", "canary-by-header-value": "yes", "canary-by-header-pattern": "^y"},
			want: NginxCanary{Enabled: true, WeightTotal: 100, Header: "X-Canary", HeaderValue: "yes"}, findings: map[string]FindingKind{"canary-by-header-pattern": Invalid}},
		{name: "header pattern and cookie", in: map[string]string{"canary": "true", "canary-by-header": "X-Canary", "canary-by-header-pattern": "^(a|b)$", "canary-by-cookie": "beta"},
			want: NginxCanary{Enabled: true, WeightTotal: 100, Header: "X-Canary", HeaderPattern: "^(a|b)$", Cookie: "beta"}},
		{name: "a PCRE-only pattern", in: map[string]string{"canary": "true", "canary-by-header": "X-Canary", "canary-by-header-pattern": "(?=a)"},
			want: NginxCanary{Enabled: true, WeightTotal: 100, Header: "X-Canary"}, findings: map[string]FindingKind{"canary-by-header-pattern": Invalid}},
		{name: "canary keys without canary", in: map[string]string{"canary-weight": "10", "canary-by-cookie": "beta"},
			findings: map[string]FindingKind{"canary-weight": Invalid, "canary-by-cookie": Invalid}},
	}, func(r NginxRouting) NginxCanary { return r.Canary })
}

// TestNginxCanaryOwnKeys: a canary keeps its own balancing; its affinity and every other key are
// Ignored (the primary's settings apply), replacing what their findings would have said.
func TestNginxCanaryOwnKeys(t *testing.T) {
	type own struct {
		Affinity    bool
		LoadBalance NginxLoadBalance
		Legacy      bool
	}
	canary := func(kv ...string) map[string]string {
		m := map[string]string{"canary": "true", "canary-by-header": "X-Canary"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	runRoutingCases(t, []routingCase[own]{
		{name: "own upstream-hash-by", in: canary("upstream-hash-by", "$http_x_user"), want: own{LoadBalance: NginxLoadBalance{Hash: &NginxHash{Header: "x-user"}}}},
		{name: "own ewma stays approximated", in: canary("load-balance", "ewma"), want: own{LoadBalance: NginxLoadBalance{LeastRequest: true}},
			findings: map[string]FindingKind{"load-balance": Approximated}},
		{name: "own affinity is ignored and does not shadow the hash", in: canary("affinity", "cookie", "session-cookie-samesite", "bogus", "upstream-hash-by", "$remote_addr"),
			want: own{LoadBalance: NginxLoadBalance{Hash: &NginxHash{SourceIP: true}}}, findings: map[string]FindingKind{"affinity": Ignored, "session-cookie-samesite": Ignored}},
		{name: "other keys are ignored, unknown ones stay unknown", in: canary("rewrite-target", "/v2", "configuration-snippet", "x", "no-such-key", "1"),
			findings: map[string]FindingKind{"rewrite-target": Ignored, "configuration-snippet": Ignored, "no-such-key": Unknown}},
		{name: "legacy", in: canary("affinity-canary-behavior", "legacy"), want: own{Legacy: true}},
		{name: "not a canary: affinity applies", in: map[string]string{"affinity": "cookie", "rewrite-target": "/v2"}, want: own{Affinity: true}},
	}, func(r NginxRouting) own {
		return own{Affinity: r.Affinity != nil, LoadBalance: r.LoadBalance, Legacy: r.Canary.LegacyAffinity}
	})
}
