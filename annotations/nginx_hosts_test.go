package annotations

import "testing"

func TestNginxHosts(t *testing.T) {
	runRoutingCases(t, []routingCase[NginxHosts]{
		{name: "none", want: NginxHosts{}},
		{name: "passthrough", in: map[string]string{"ssl-passthrough": "true"}, want: NginxHosts{SSLPassthrough: true}},
		{name: "default backend", in: map[string]string{"default-backend": "errors"}, want: NginxHosts{DefaultBackend: "errors"}},
		{name: "default backend in another namespace is not a name", in: map[string]string{"default-backend": "other/errors"},
			findings: map[string]FindingKind{"default-backend": Invalid}},
		{name: "aliases are trimmed, lower-cased, sorted and unique", in: map[string]string{"server-alias": " www.Example.com, *.example.org,,www.example.com "},
			want: NginxHosts{Aliases: []string{"*.example.org", "www.example.com"}}},
		{name: "a regex or an address-like name is left out, the others kept", in: map[string]string{"server-alias": "~^www\\d+\\.example\\.com$, a.example.com, foo_bar.example.com"},
			want: NginxHosts{Aliases: []string{"a.example.com"}}, findings: map[string]FindingKind{"server-alias": Invalid}},
		{name: "from-to-www", in: map[string]string{"from-to-www-redirect": "true"}, want: NginxHosts{FromToWWW: true},
			findings: map[string]FindingKind{"from-to-www-redirect": Approximated}},
		{name: "from-to-www off", in: map[string]string{"from-to-www-redirect": "false"}, want: NginxHosts{}},
	}, func(r NginxRouting) NginxHosts { return r.Hosts })
}
