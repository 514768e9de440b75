package annotations

import "testing"

func TestNginxHosts(t *testing.T) {
	runRoutingCases(t, []routingCase[NginxHosts]{
		{name: "none", want: NginxHosts{}},
		{name: "passthrough", in: map[string]string{"ssl-passthrough": "true"}, want: NginxHosts{SSLPassthrough: true}},
		{name: "default backend", in: map[string]string{"default-backend": "errors"}, want: NginxHosts{DefaultBackend: "errors"}},
		{name: "default backend in another namespace is not a name", in: map[string]string{"default-backend": "other/errors"},
			findings: map[string]FindingKind{"default-backend": Invalid}},
	}, func(r NginxRouting) NginxHosts { return r.Hosts })
}
