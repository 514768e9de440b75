package annotations

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// policyCase is one row of the table tests of the policy families: annotations (keys without prefix),
// the settings they give and the findings (kind by key without prefix).
type policyCase struct {
	name     string
	in       map[string]string
	want     NginxPolicy
	findings map[string]FindingKind
}

func runPolicyCases(t *testing.T, cases []policyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := map[string]string{}
			for k, v := range tc.in {
				in[NginxPrefix+k] = v
			}
			got, findings := ParseIngress(in)
			if diff := cmp.Diff(tc.want, got.Policy); diff != "" {
				t.Errorf("policy (-want +got):\n%s", diff)
			}
			kinds := map[string]FindingKind{}
			for _, f := range findings {
				kinds[f.Key[len(NginxPrefix):]] = f.Kind
			}
			if len(tc.findings)+len(kinds) == 0 {
				return
			}
			if diff := cmp.Diff(tc.findings, kinds); diff != "" {
				t.Errorf("findings (-want +got):\n%s\n%v", diff, findings)
			}
		})
	}
}

func TestPolicyKeysAreKnown(t *testing.T) {
	for k := range nginxPolicyKeys {
		if !nginxFamily.known[k] {
			t.Errorf("policy key %s is not a known ingress-nginx key", k)
		}
	}
}
