package annotations

import "testing"

// policyCase is one row of the table tests of the policy families.
type policyCase = routingCase[NginxPolicy]

func runPolicyCases(t *testing.T, cases []policyCase) {
	t.Helper()
	runNginxCases(t, cases, func(in Ingress) NginxPolicy { return in.Policy })
}

func TestPolicyKeysAreKnown(t *testing.T) {
	for k := range nginxPolicyKeys {
		if !nginxFamily.known[k] {
			t.Errorf("policy key %s is not a known ingress-nginx key", k)
		}
	}
}
