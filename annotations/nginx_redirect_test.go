package annotations

import "testing"

func TestNginxRedirect(t *testing.T) {
	runRoutingCases(t, []routingCase[NginxRedirect]{
		{name: "defaults: ssl-redirect on, no force, no URL", want: NginxRedirect{}},
		{name: "ssl-redirect off", in: map[string]string{"ssl-redirect": "false"}, want: NginxRedirect{NoSSLRedirect: true}},
		{name: "force", in: map[string]string{"force-ssl-redirect": "true"}, want: NginxRedirect{ForceSSLRedirect: true}},
		{name: "bad bool keeps the default", in: map[string]string{"ssl-redirect": "nope"}, findings: map[string]FindingKind{"ssl-redirect": Invalid}},
		{name: "permanent with default code", in: map[string]string{"permanent-redirect": "https://www.example.com/new?x=1"},
			want: NginxRedirect{URL: &NginxURLRedirect{Scheme: "https", Host: "www.example.com", Path: "/new?x=1", Code: 301}}},
		{name: "permanent with code and port, no path", in: map[string]string{"permanent-redirect": "http://example.com:8080", "permanent-redirect-code": "308"},
			want: NginxRedirect{URL: &NginxURLRedirect{Scheme: "http", Host: "example.com", Port: 8080, Path: "/", Code: 308}}},
		{name: "a code Envoy cannot answer keeps the default", in: map[string]string{"permanent-redirect": "/moved", "permanent-redirect-code": "305"},
			want:     NginxRedirect{URL: &NginxURLRedirect{Path: "/moved", Code: 301}},
			findings: map[string]FindingKind{"permanent-redirect-code": Invalid}},
		{name: "temporal takes precedence", in: map[string]string{"temporal-redirect": "https://t.example.com/", "permanent-redirect": "https://p.example.com/"},
			want:     NginxRedirect{URL: &NginxURLRedirect{Scheme: "https", Host: "t.example.com", Path: "/", Code: 302}},
			findings: map[string]FindingKind{"permanent-redirect": Invalid}},
		{name: "temporal code", in: map[string]string{"temporal-redirect": "https://t.example.com/x", "temporal-redirect-code": "307"},
			want: NginxRedirect{URL: &NginxURLRedirect{Scheme: "https", Host: "t.example.com", Path: "/x", Code: 307}}},
		{name: "not a URL", in: map[string]string{"permanent-redirect": "ftp://x/"}, findings: map[string]FindingKind{"permanent-redirect": Invalid}},
		{name: "a code without its URL", in: map[string]string{"temporal-redirect-code": "307"}, findings: map[string]FindingKind{"temporal-redirect-code": Invalid}},
	}, func(r NginxRouting) NginxRedirect { return r.Redirect })
}
