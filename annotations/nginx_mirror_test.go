package annotations

import "testing"

func TestNginxMirror(t *testing.T) {
	target := "http://shadow.shop.svc.cluster.local:8080$request_uri"
	runRoutingCases(t, []routingCase[*NginxMirror]{
		{name: "none", want: nil},
		{name: "target keeping the request URI, Host from the URL", in: map[string]string{"mirror-target": target},
			want: &NginxMirror{Host: "shadow.shop.svc.cluster.local", Port: 8080, Authority: "shadow.shop.svc.cluster.local"}},
		{name: "mirror-host", in: map[string]string{"mirror-target": "http://shadow.shop$request_uri", "mirror-host": "test.example.com"},
			want: &NginxMirror{Host: "shadow.shop", Port: 80, Authority: "test.example.com"}},
		{name: "a fixed path is approximated", in: map[string]string{"mirror-target": "http://shadow.shop/copy"},
			want:     &NginxMirror{Host: "shadow.shop", Port: 80, Authority: "shadow.shop"},
			findings: map[string]FindingKind{"mirror-target": Approximated}},
		{name: "no path nor request URI is approximated", in: map[string]string{"mirror-target": "http://shadow.shop"},
			want:     &NginxMirror{Host: "shadow.shop", Port: 80, Authority: "shadow.shop"},
			findings: map[string]FindingKind{"mirror-target": Approximated}},
		{name: "request body off is approximated", in: map[string]string{"mirror-target": target, "mirror-request-body": "off"},
			want:     &NginxMirror{Host: "shadow.shop.svc.cluster.local", Port: 8080, Authority: "shadow.shop.svc.cluster.local"},
			findings: map[string]FindingKind{"mirror-request-body": Approximated}},
		{name: "request body on is exact", in: map[string]string{"mirror-target": target, "mirror-request-body": "on"},
			want: &NginxMirror{Host: "shadow.shop.svc.cluster.local", Port: 8080, Authority: "shadow.shop.svc.cluster.local"}},
		{name: "request body neither on nor off", in: map[string]string{"mirror-target": target, "mirror-request-body": "maybe"},
			want:     &NginxMirror{Host: "shadow.shop.svc.cluster.local", Port: 8080, Authority: "shadow.shop.svc.cluster.local"},
			findings: map[string]FindingKind{"mirror-request-body": Invalid}},
		{name: "https is not served", in: map[string]string{"mirror-target": "https://test.env.com$request_uri", "mirror-host": "x.example.com"},
			findings: map[string]FindingKind{"mirror-target": Invalid, "mirror-host": Invalid}},
		{name: "other variables", in: map[string]string{"mirror-target": "http://shadow.shop$uri"}, findings: map[string]FindingKind{"mirror-target": Invalid}},
		{name: "not a URL", in: map[string]string{"mirror-target": "shadow"}, findings: map[string]FindingKind{"mirror-target": Invalid}},
		{name: "bad port", in: map[string]string{"mirror-target": "http://shadow.shop:0$request_uri"}, findings: map[string]FindingKind{"mirror-target": Invalid}},
		{name: "bad mirror-host keeps the target's", in: map[string]string{"mirror-target": target, "mirror-host": "not a host"},
			want:     &NginxMirror{Host: "shadow.shop.svc.cluster.local", Port: 8080, Authority: "shadow.shop.svc.cluster.local"},
			findings: map[string]FindingKind{"mirror-host": Invalid}},
		{name: "companions without a target", in: map[string]string{"mirror-host": "a.example.com", "mirror-request-body": "off"},
			findings: map[string]FindingKind{"mirror-host": Invalid, "mirror-request-body": Invalid}},
		{name: "mirror-uri is no longer read", in: map[string]string{"mirror-uri": "/mirror"}, findings: map[string]FindingKind{"mirror-uri": Invalid}},
	}, func(r NginxRouting) *NginxMirror { return r.Mirror })
}
