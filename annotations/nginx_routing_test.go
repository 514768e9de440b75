package annotations

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// routingCase is one row of the table tests of the routing and policy families: annotations (keys
// without prefix), the part of the settings the family fills, and the findings (keys without prefix).
type routingCase[T any] struct {
	name     string
	in       map[string]string
	want     T
	findings map[string]FindingKind
}

// runRoutingCases parses each case's annotations through ParseIngress and compares part of the routing
// settings.
func runRoutingCases[T any](t *testing.T, cases []routingCase[T], part func(NginxRouting) T) {
	t.Helper()
	runNginxCases(t, cases, func(in Ingress) T { return part(in.Routing) })
}

// runNginxCases parses each case's annotations through ParseIngress and compares part of the result.
func runNginxCases[T any](t *testing.T, cases []routingCase[T], part func(Ingress) T) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := map[string]string{}
			for k, v := range tc.in {
				in[NginxPrefix+k] = v
			}
			got, findings := ParseIngress(in)
			if diff := cmp.Diff(tc.want, part(got)); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
			kinds := map[string]FindingKind{}
			for _, f := range findings {
				kinds[f.Key[len(NginxPrefix):]] = f.Kind
				if f.Message == "" {
					t.Errorf("finding %s has no message", f.Key)
				}
			}
			if len(tc.findings) == 0 {
				tc.findings = map[string]FindingKind{}
			}
			if diff := cmp.Diff(tc.findings, kinds); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNginxRoutingKeysAreKnown(t *testing.T) {
	for k := range nginxRoutingKeys {
		if !nginxFamily.known[k] {
			t.Errorf("routing key %q is not a known ingress-nginx annotation", k)
		}
		if nginxPolicyKeys[k] {
			t.Errorf("key %q is both a routing and a policy key", k)
		}
	}
}
