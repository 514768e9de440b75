package migrate

import (
	"bytes"
	"maps"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/certs"
	"github.com/gatebridge/gatebridge/convert"
)

// migrated returns the Gateway API output of a case, read back strictly as Gateway API objects.
func migrated(t *testing.T, in convert.Input) convert.Input {
	t.Helper()
	out, _ := migrateYAML(t, in, Options{})
	var back convert.Input
	if err := back.Decode("output", bytes.NewReader(out)); err != nil {
		t.Fatalf("the output does not decode strictly: %v", err)
	}
	return back
}

// TestOutputIsValid checks every case's output against the API's limits, and that gatebridge accepts
// every route of it on every parent with every reference resolved (Secrets of other namespaces through
// the ReferenceGrants), except the backends the input itself lacks.
func TestOutputIsValid(t *testing.T) {
	for _, base := range corpusCases(t) {
		in := loadCase(t, base)
		out := migrated(t, in)
		for _, gw := range out.Gateways {
			if len(gw.Spec.Listeners) > maxListeners {
				t.Errorf("%s: Gateway %s has %d listeners", base, gw.Name, len(gw.Spec.Listeners))
			}
		}
		for _, r := range out.HTTPRoutes {
			checkRouteLimits(t, &r)
		}
		out.Services, out.Secrets = in.Services, in.Secrets
		out.GatewayClasses = []gwapiv1.GatewayClass{{ObjectMeta: metav1.ObjectMeta{Name: DefaultGatewayClassName},
			Spec: gwapiv1.GatewayClassSpec{ControllerName: convert.DefaultGatewayController}}}
		res := convert.Translate(out, convert.Options{})
		if want := len(out.HTTPRoutes) + len(out.GRPCRoutes) + len(out.TLSRoutes); len(res.Status.Routes) != want {
			t.Errorf("%s: %d routes have status, want %d", base, len(res.Status.Routes), want)
		}
		checkBackendTLSPolicies(t, base, out, res)
		for ref, st := range res.Status.Routes {
			for _, p := range st.Parents {
				for _, c := range p.Conditions {
					if c.Status != metav1.ConditionTrue && !(c.Reason == string(gwapiv1.RouteReasonBackendNotFound) && base == "testdata/shop") {
						t.Errorf("%s: %s on %s: %s %s: %s", base, ref, p.ParentRef.Name, c.Type, c.Reason, c.Message)
					}
				}
			}
		}
	}
}

// checkBackendTLSPolicies checks that gatebridge accepts every BackendTLSPolicy of the output, with its
// CA from the output's ConfigMap, for the Gateway whose routes use the Service.
func checkBackendTLSPolicies(t *testing.T, base string, out convert.Input, res convert.Result) {
	t.Helper()
	for _, p := range out.BackendTLSPolicies {
		st := res.Status.BackendTLSPolicies[convert.ObjectRef{Kind: "BackendTLSPolicy", Namespace: p.Namespace, Name: p.Name}]
		if len(st.Ancestors) == 0 {
			t.Errorf("%s: BackendTLSPolicy %s/%s has no ancestor: no accepted route uses its Service", base, p.Namespace, p.Name)
		}
		for _, a := range st.Ancestors {
			for _, c := range a.Conditions {
				if c.Status != metav1.ConditionTrue {
					t.Errorf("%s: BackendTLSPolicy %s/%s on %s: %s %s: %s", base, p.Namespace, p.Name, a.AncestorRef.Name, c.Type, c.Reason, c.Message)
				}
			}
		}
	}
}

func checkRouteLimits(t *testing.T, r *gwapiv1.HTTPRoute) {
	t.Helper()
	total := 0
	for _, rule := range r.Spec.Rules {
		total += len(rule.Matches)
		if len(rule.Matches) > maxMatchesPerRule {
			t.Errorf("HTTPRoute %s: a rule has %d matches", r.Name, len(rule.Matches))
		}
	}
	if len(r.Spec.Rules) > maxRulesPerRoute || total > maxMatchesPerRoute {
		t.Errorf("HTTPRoute %s: %d rules, %d matches", r.Name, len(r.Spec.Rules), total)
	}
}

// TestCertificatesFollow checks that cert-manager's gateway-shim, reading the migrated Gateways, asks for
// certificates of the same hosts from the same issuers as its ingress-shim did for the Ingresses.
func TestCertificatesFollow(t *testing.T) {
	for _, base := range corpusCases(t) {
		in := loadCase(t, base)
		before := map[string]bool{}
		for i := range in.Ingresses {
			wanted, _ := certs.IngressCertificates(&in.Ingresses[i], certs.ShimOptions{})
			addCertificateHosts(before, wanted)
		}
		after := map[string]bool{}
		out := migrated(t, in)
		for i := range out.Gateways {
			wanted, _ := certs.GatewayCertificates(&out.Gateways[i], certs.ShimOptions{})
			addCertificateHosts(after, wanted)
		}
		if !maps.Equal(before, after) {
			t.Errorf("%s: Ingresses ask for %v, Gateways for %v", base, slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
		}
	}
}

func addCertificateHosts(set map[string]bool, wanted []certs.Certificate) {
	for _, c := range wanted {
		for _, h := range c.Spec.DNSNames {
			issuer := c.Spec.IssuerRef.Kind + "/" + c.Spec.IssuerRef.Name
			if c.Spec.IssuerRef.Kind != certs.KindClusterIssuer {
				issuer = c.Metadata.Namespace + "/" + issuer
			}
			set[issuer+" "+h] = true
		}
	}
}
