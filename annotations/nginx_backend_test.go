package annotations

import "testing"

func TestNginxBackend(t *testing.T) {
	runRoutingCases(t, []routingCase[NginxBackend]{
		{name: "default HTTP", want: NginxBackend{}},
		{name: "HTTP is the default", in: map[string]string{"backend-protocol": "http"}, want: NginxBackend{}},
		{name: "grpc, any case", in: map[string]string{"backend-protocol": "grpc"}, want: NginxBackend{Protocol: BackendGRPC}},
		{name: "h2c", in: map[string]string{"backend-protocol": "H2C"}, want: NginxBackend{Protocol: BackendH2C}},
		{name: "AJP is not served", in: map[string]string{"backend-protocol": "AJP"}, findings: map[string]FindingKind{"backend-protocol": Invalid}},
		{name: "FCGI is not served", in: map[string]string{"backend-protocol": "FCGI"}, findings: map[string]FindingKind{"backend-protocol": Invalid}},
		{name: "HTTPS with verification", in: map[string]string{"backend-protocol": "HTTPS", "proxy-ssl-secret": "shop/backend-ca",
			"proxy-ssl-verify": "on", "proxy-ssl-name": "api.internal", "proxy-ssl-server-name": "on"},
			want: NginxBackend{Protocol: BackendHTTPS, ProxySSL: NginxProxySSL{SecretNamespace: "shop", SecretName: "backend-ca", Verify: true, Name: "api.internal", ServerName: true}}},
		{name: "secret not namespace/name", in: map[string]string{"backend-protocol": "GRPCS", "proxy-ssl-secret": "backend-ca", "proxy-ssl-verify": "maybe"},
			want:     NginxBackend{Protocol: BackendGRPCS},
			findings: map[string]FindingKind{"proxy-ssl-secret": Invalid, "proxy-ssl-verify": Invalid}},
		{name: "proxy-ssl without TLS", in: map[string]string{"proxy-ssl-verify": "on", "proxy-ssl-name": "x"},
			findings: map[string]FindingKind{"proxy-ssl-verify": Invalid, "proxy-ssl-name": Invalid}},
	}, func(r NginxRouting) NginxBackend { return r.Backend })
}
