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
	}, func(r NginxRouting) NginxUpstream { return r.Upstream })
}
