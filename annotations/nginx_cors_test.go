package annotations

import "testing"

func TestNginxCORS(t *testing.T) {
	defaults := &NginxCORS{AllowOrigins: []string{"*"}, AllowMethods: defaultCORSMethods, AllowHeaders: defaultCORSHeaders, AllowCredentials: true, MaxAge: 1728000}
	runRoutingCases(t, []routingCase[*NginxCORS]{
		{name: "off", want: nil},
		{name: "on with nginx's defaults", in: map[string]string{"enable-cors": "true"}, want: defaults},
		{name: "every setting", in: map[string]string{"enable-cors": "true", "cors-allow-origin": "https://a.example.com, https://*.b.example.com:8443",
			"cors-allow-methods": "GET, POST", "cors-allow-headers": "X-Custom,Content-Type", "cors-expose-headers": "X-Total",
			"cors-allow-credentials": "false", "cors-max-age": "60"},
			want: &NginxCORS{AllowOrigins: []string{"https://a.example.com", "https://*.b.example.com:8443"}, AllowMethods: []string{"GET", "POST"},
				AllowHeaders: []string{"X-Custom", "Content-Type"}, ExposeHeaders: []string{"X-Total"}, MaxAge: 60}},
		{name: "an invalid origin keeps the default", in: map[string]string{"enable-cors": "true", "cors-allow-origin": "https://a.example.com/path"},
			want: defaults, findings: map[string]FindingKind{"cors-allow-origin": Invalid}},
		{name: "an invalid method keeps the default", in: map[string]string{"enable-cors": "true", "cors-allow-methods": "GET;rm"},
			want: defaults, findings: map[string]FindingKind{"cors-allow-methods": Invalid}},
		{name: "settings without enable-cors", in: map[string]string{"cors-allow-origin": "*"}, findings: map[string]FindingKind{"cors-allow-origin": Invalid}},
	}, func(r NginxRouting) *NginxCORS { return r.CORS })
}
