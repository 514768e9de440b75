package annotations

import "testing"

func TestCustomErrors(t *testing.T) {
	runPolicyCases(t, []policyCase{
		{
			name: "codes with a default backend",
			in:   map[string]string{"custom-http-errors": "503, 404,404", "default-backend": "errors"},
			want: NginxPolicy{CustomErrors: &CustomErrors{Codes: []uint32{404, 503}, Backend: "errors"}},
		},
		{
			name:     "parts that are not error codes are ignored",
			in:       map[string]string{"custom-http-errors": "404,abc,302,600,500", "default-backend": "errors"},
			want:     NginxPolicy{CustomErrors: &CustomErrors{Codes: []uint32{404, 500}, Backend: "errors"}},
			findings: map[string]FindingKind{"custom-http-errors": Invalid},
		},
		{name: "no usable code", in: map[string]string{"custom-http-errors": "200,x", "default-backend": "errors"}, findings: map[string]FindingKind{"custom-http-errors": Invalid}},
		{name: "empty", in: map[string]string{"custom-http-errors": " ", "default-backend": "errors"}, findings: map[string]FindingKind{"custom-http-errors": Invalid}},
		{name: "without default-backend", in: map[string]string{"custom-http-errors": "404"}, findings: map[string]FindingKind{"custom-http-errors": Invalid}},
		{
			name:     "an invalid default-backend",
			in:       map[string]string{"custom-http-errors": "404", "default-backend": "ns/errors"},
			findings: map[string]FindingKind{"custom-http-errors": Invalid, "default-backend": Invalid},
		},
	})
}
