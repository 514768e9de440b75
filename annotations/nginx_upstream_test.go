package annotations

import (
	"testing"
	"time"
)

func TestNginxUpstream(t *testing.T) {
	runRoutingCases(t, []routingCase[NginxUpstream]{
		{name: "none", want: NginxUpstream{}},
		{name: "connect timeout in seconds", in: map[string]string{"proxy-connect-timeout": "7"}, want: NginxUpstream{ConnectTimeout: 7 * time.Second}},
		{name: "connect timeout with a unit is invalid", in: map[string]string{"proxy-connect-timeout": "7s"}, findings: map[string]FindingKind{"proxy-connect-timeout": Invalid}},
		{name: "3 tries are 2 retries, approximated", in: map[string]string{"proxy-next-upstream-tries": "3"},
			want: NginxUpstream{Retries: 2, RetryOn: RetryOnErrors}, findings: map[string]FindingKind{"proxy-next-upstream-tries": Approximated}},
		{name: "0 tries (no limit) cannot be expressed", in: map[string]string{"proxy-next-upstream-tries": "0"}, findings: map[string]FindingKind{"proxy-next-upstream-tries": Invalid}},
		{name: "conditions alone take ingress-nginx's 3 tries", in: map[string]string{"proxy-next-upstream": "error http_503 http_502 non_idempotent"},
			want: NginxUpstream{Retries: 2, RetryOn: "connect-failure,refused-stream,reset,502,503"}},
		{name: "idempotent only is approximated", in: map[string]string{"proxy-next-upstream": "http_503", "proxy-next-upstream-tries": "2"},
			want: NginxUpstream{Retries: 1, RetryOn: "503"}, findings: map[string]FindingKind{"proxy-next-upstream": Approximated}},
		{name: "timeout retries failed connections", in: map[string]string{"proxy-next-upstream": "timeout  invalid_header non_idempotent"},
			want: NginxUpstream{Retries: 2, RetryOn: "connect-failure,reset"}, findings: map[string]FindingKind{"proxy-next-upstream": Approximated}},
		{name: "codes are deduplicated and sorted", in: map[string]string{"proxy-next-upstream": "http_504 http_429 http_504 http_403 http_404 http_500 non_idempotent"},
			want: NginxUpstream{Retries: 2, RetryOn: "403,404,429,500,504"}},
		{name: "off turns retries off, tries and timeout with them, as in nginx", in: map[string]string{"proxy-next-upstream": "off", "proxy-next-upstream-tries": "3", "proxy-next-upstream-timeout": "5"},
			want: NginxUpstream{RetriesOff: true}},
		{name: "off wins over conditions", in: map[string]string{"proxy-next-upstream": "error off"}, want: NginxUpstream{RetriesOff: true}},
		{name: "an unknown condition leaves the key without effect", in: map[string]string{"proxy-next-upstream": "error http_418", "proxy-next-upstream-tries": "2"},
			want: NginxUpstream{Retries: 1, RetryOn: RetryOnErrors}, findings: map[string]FindingKind{"proxy-next-upstream": Invalid, "proxy-next-upstream-tries": Approximated}},
		{name: "non_idempotent alone names no condition", in: map[string]string{"proxy-next-upstream": "non_idempotent"}, findings: map[string]FindingKind{"proxy-next-upstream": Invalid}},
		{name: "timeout bounds the tries, approximated", in: map[string]string{"proxy-next-upstream": "error non_idempotent", "proxy-next-upstream-timeout": "10"},
			want: NginxUpstream{Retries: 2, RetryOn: RetryOnErrors, RetryTimeout: 10 * time.Second}, findings: map[string]FindingKind{"proxy-next-upstream-timeout": Approximated}},
		{name: "timeout 0 is no bound", in: map[string]string{"proxy-next-upstream-tries": "2", "proxy-next-upstream-timeout": "0"},
			want: NginxUpstream{Retries: 1, RetryOn: RetryOnErrors}, findings: map[string]FindingKind{"proxy-next-upstream-tries": Approximated}},
		{name: "timeout without retries", in: map[string]string{"proxy-next-upstream-timeout": "10"}, findings: map[string]FindingKind{"proxy-next-upstream-timeout": Invalid}},
	}, func(r NginxRouting) NginxUpstream { return r.Upstream })
}
