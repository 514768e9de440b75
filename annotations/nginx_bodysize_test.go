package annotations

import "testing"

func TestBodySize(t *testing.T) {
	runPolicyCases(t, []policyCase{
		{name: "megabytes", in: map[string]string{"proxy-body-size": "8m"}, want: NginxPolicy{MaxBodyBytes: 8 << 20}},
		{name: "kilobytes, upper case", in: map[string]string{"proxy-body-size": "512K"}, want: NginxPolicy{MaxBodyBytes: 512 << 10}},
		{name: "gigabytes", in: map[string]string{"proxy-body-size": "1g"}, want: NginxPolicy{MaxBodyBytes: 1 << 30}},
		{name: "bare bytes", in: map[string]string{"proxy-body-size": "1000"}, want: NginxPolicy{MaxBodyBytes: 1000}},
		{name: "zero lifts the limit", in: map[string]string{"proxy-body-size": "0"}},
		{name: "not a size", in: map[string]string{"proxy-body-size": "8mb"}, findings: map[string]FindingKind{"proxy-body-size": Invalid}},
		{name: "too large", in: map[string]string{"proxy-body-size": "99999999999g"}, findings: map[string]FindingKind{"proxy-body-size": Invalid}},
	})
}
