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
