package annotations

import "testing"

func TestNginxLoadBalance(t *testing.T) {
	header := func(h string) NginxLoadBalance { return NginxLoadBalance{Hash: &NginxHash{Header: h}} }
	runRoutingCases(t, []routingCase[NginxLoadBalance]{
		{name: "none: round robin", want: NginxLoadBalance{}},
		{name: "round_robin is the default", in: map[string]string{"load-balance": "round_robin"}, want: NginxLoadBalance{}},
		{name: "ewma is least request, approximated", in: map[string]string{"load-balance": "ewma"},
			want: NginxLoadBalance{LeastRequest: true}, findings: map[string]FindingKind{"load-balance": Approximated}},
		{name: "other algorithms are invalid", in: map[string]string{"load-balance": "least_conn"}, findings: map[string]FindingKind{"load-balance": Invalid}},
		{name: "client address", in: map[string]string{"upstream-hash-by": "$remote_addr"}, want: NginxLoadBalance{Hash: &NginxHash{SourceIP: true}}},
		{name: "binary client address", in: map[string]string{"upstream-hash-by": " $binary_remote_addr "}, want: NginxLoadBalance{Hash: &NginxHash{SourceIP: true}}},
		{name: "header variable names the header", in: map[string]string{"upstream-hash-by": "$http_X_User_ID"}, want: header("x-user-id")},
		{name: "cookie", in: map[string]string{"upstream-hash-by": "$cookie_session"}, want: NginxLoadBalance{Hash: &NginxHash{Cookie: "session"}}},
		{name: "query parameter", in: map[string]string{"upstream-hash-by": "$arg_tenant"}, want: NginxLoadBalance{Hash: &NginxHash{QueryParameter: "tenant"}}},
		{name: "request URI is the path with its query", in: map[string]string{"upstream-hash-by": "$request_uri"}, want: header(":path")},
		{name: "request URI after a rewrite is approximated", in: map[string]string{"upstream-hash-by": "$request_uri", "rewrite-target": "/"},
			want: header(":path"), findings: map[string]FindingKind{"upstream-hash-by": Approximated}},
		{name: "uri keeps the query, approximated", in: map[string]string{"upstream-hash-by": "$uri"},
			want: header(":path"), findings: map[string]FindingKind{"upstream-hash-by": Approximated}},
		{name: "host is the authority, approximated", in: map[string]string{"upstream-hash-by": "$host"},
			want: header(":authority"), findings: map[string]FindingKind{"upstream-hash-by": Approximated}},
		{name: "combined variables are invalid", in: map[string]string{"upstream-hash-by": "$host$request_uri", "upstream-hash-by-subset": "true"},
			findings: map[string]FindingKind{"upstream-hash-by": Invalid, "upstream-hash-by-subset": Invalid}},
		{name: "text is invalid", in: map[string]string{"upstream-hash-by": "tenant"}, findings: map[string]FindingKind{"upstream-hash-by": Invalid}},
		{name: "an empty header name is invalid", in: map[string]string{"upstream-hash-by": "$http_"}, findings: map[string]FindingKind{"upstream-hash-by": Invalid}},
		{name: "hash wins over load-balance", in: map[string]string{"upstream-hash-by": "$remote_addr", "load-balance": "ewma"},
			want: NginxLoadBalance{Hash: &NginxHash{SourceIP: true}}, findings: map[string]FindingKind{"load-balance": Invalid}},
		{name: "a subset is approximated by one endpoint", in: map[string]string{"upstream-hash-by": "$arg_a", "upstream-hash-by-subset": "true", "upstream-hash-by-subset-size": "5"},
			want: NginxLoadBalance{Hash: &NginxHash{QueryParameter: "a"}}, findings: map[string]FindingKind{"upstream-hash-by-subset": Approximated}},
		{name: "subset size needs subset", in: map[string]string{"upstream-hash-by": "$arg_a", "upstream-hash-by-subset-size": "5"},
			want: NginxLoadBalance{Hash: &NginxHash{QueryParameter: "a"}}, findings: map[string]FindingKind{"upstream-hash-by-subset-size": Invalid}},
		{name: "affinity takes precedence", in: map[string]string{"affinity": "cookie", "upstream-hash-by": "$remote_addr", "load-balance": "ewma"},
			findings: map[string]FindingKind{"upstream-hash-by": Invalid, "load-balance": Invalid}},
	}, func(r NginxRouting) NginxLoadBalance { return r.LoadBalance })
}

func TestNginxAffinityModes(t *testing.T) {
	runRoutingCases(t, []routingCase[bool]{
		{name: "balanced is served", in: map[string]string{"affinity": "cookie", "affinity-mode": "balanced"}, want: true},
		{name: "persistent is approximated", in: map[string]string{"affinity": "cookie", "affinity-mode": "persistent"}, want: true,
			findings: map[string]FindingKind{"affinity-mode": Approximated}},
		{name: "other modes are invalid", in: map[string]string{"affinity": "cookie", "affinity-mode": "sticky"}, want: true,
			findings: map[string]FindingKind{"affinity-mode": Invalid}},
		{name: "mode needs affinity", in: map[string]string{"affinity-mode": "balanced"}, findings: map[string]FindingKind{"affinity-mode": Invalid}},
		{name: "canary behavior needs a canary", in: map[string]string{"affinity-canary-behavior": "sticky"},
			findings: map[string]FindingKind{"affinity-canary-behavior": Invalid}},
		{name: "canary behavior without a weight is exact", in: map[string]string{"canary": "true", "canary-by-header": "X", "affinity-canary-behavior": "legacy"}},
		{name: "canary behavior with a weight is approximated", in: map[string]string{"canary": "true", "canary-weight": "20", "affinity-canary-behavior": "sticky"},
			findings: map[string]FindingKind{"affinity-canary-behavior": Approximated}},
		{name: "unknown canary behavior", in: map[string]string{"canary": "true", "affinity-canary-behavior": "always"},
			findings: map[string]FindingKind{"affinity-canary-behavior": Invalid}},
	}, func(r NginxRouting) bool { return r.Affinity != nil })
}
