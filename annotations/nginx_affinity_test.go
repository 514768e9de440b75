package annotations

import (
	"testing"
	"time"
)

func TestNginxAffinity(t *testing.T) {
	runRoutingCases(t, []routingCase[*NginxAffinity]{
		{name: "none", want: nil},
		{name: "cookie with defaults: a session cookie", in: map[string]string{"affinity": "cookie"}, want: &NginxAffinity{CookieName: "INGRESSCOOKIE"}},
		{name: "every setting", in: map[string]string{"affinity": "cookie", "session-cookie-name": "route", "session-cookie-path": "/app",
			"session-cookie-max-age": "3600", "session-cookie-secure": "true", "session-cookie-samesite": "strict", "session-cookie-domain": "example.com"},
			want: &NginxAffinity{CookieName: "route", CookiePath: "/app", TTL: time.Hour, Secure: true, SameSite: "Strict", Domain: "example.com"}},
		{name: "expires is a max-age", in: map[string]string{"affinity": "cookie", "session-cookie-expires": "60"},
			want: &NginxAffinity{CookieName: "INGRESSCOOKIE", TTL: time.Minute}, findings: map[string]FindingKind{"session-cookie-expires": Approximated}},
		{name: "max-age wins over expires", in: map[string]string{"affinity": "cookie", "session-cookie-expires": "60", "session-cookie-max-age": "120"},
			want: &NginxAffinity{CookieName: "INGRESSCOOKIE", TTL: 2 * time.Minute}, findings: map[string]FindingKind{"session-cookie-expires": Invalid}},
		{name: "other affinity", in: map[string]string{"affinity": "ip", "session-cookie-name": "x"},
			findings: map[string]FindingKind{"affinity": Invalid, "session-cookie-name": Invalid}},
		{name: "bad samesite", in: map[string]string{"affinity": "cookie", "session-cookie-samesite": "sometimes"},
			want: &NginxAffinity{CookieName: "INGRESSCOOKIE"}, findings: map[string]FindingKind{"session-cookie-samesite": Invalid}},
	}, func(r NginxRouting) *NginxAffinity { return r.Affinity })
}
