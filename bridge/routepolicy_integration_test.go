package bridge_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	gbv1alpha1 "github.com/gatebridge/gatebridge/api/v1alpha1"
	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/internal/eventually"
	gatebridgecrds "github.com/gatebridge/gatebridge/manifests/crds/gatebridge"
	"github.com/gatebridge/gatebridge/model"
)

// policyRouteYAML is an HTTPRoute whose one rule names the RoutePolicy guard.
func policyRouteYAML(ns string) string {
	return fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: site, namespace: %s}
spec:
  parentRefs: [{name: gw}]
  hostnames: [%s]
  rules:
  - filters: [{type: ExtensionRef, extensionRef: {group: gatebridge.dev, kind: RoutePolicy, name: guard}}]
    backendRefs: [{name: web, port: 80}]
`, ns, host(ns, "site"))
}

func guardYAML(ns, allow string) string {
	return fmt.Sprintf("apiVersion: gatebridge.dev/v1alpha1\nkind: RoutePolicy\nmetadata: {name: guard, namespace: %s}\n"+
		"spec: {sourceRanges: {allow: [%s]}, basicAuth: {secretName: users}}\n", ns, allow)
}

// testRoutePolicy starts a controller while the RoutePolicy CRD is absent, with an HTTPRoute whose rule
// names a RoutePolicy: the rule answers 500 (ResolvedRefs False, BackendNotFound). Then it installs the
// CRD and creates the RoutePolicy: the same controller, not restarted, serves the policy on the rule's
// route and follows changes of the policy and of the Secret its basic auth names; once the policy is
// deleted the rule answers 500 again. Last, with the policy back, removing the CRD drops the policy.
func (e *env) testRoutePolicy(t *testing.T) {
	const ns = "routepolicy"
	e.namespace(t, ns)
	crds, err := gatebridgecrds.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	e.putSecret(t, ns, "users", map[string][]byte{"auth": []byte(htpasswdSHA("alice", "pw"))}, false)
	e.apply(t, serviceYAML(ns, "web"), gatewayYAML(ns, "gw", httpListener), policyRouteYAML(ns))
	r := e.start(t, convert.Options{})
	withoutPolicy := func() error {
		res, err := r.last()
		if err != nil {
			return err
		}
		if p := sitePolicy(res, ns); p != nil {
			return fmt.Errorf("policy %s still served", p.Name)
		}
		return routeResolved(res, ns, false, string(gwapiv1.RouteReasonBackendNotFound))
	}
	eventually.Within(t, waitFor, "the rule answers 500 before the CRD exists", withoutPolicy)

	e.apply(t, string(crds))
	e.apply(t, guardYAML(ns, "10.0.0.0/8"))
	want := func(allow, users []string) func() error {
		return func() error { return r.checkGuard(ns, allow, users) }
	}
	eventually.Within(t, waitFor, "the policy of the CRD installed after the start on the rule's route", want([]string{"10.0.0.0/8"}, []string{"alice"}))

	e.apply(t, guardYAML(ns, "192.0.2.0/24, 198.51.100.7"))
	eventually.Within(t, waitFor, "the policy updated", want([]string{"192.0.2.0/24", "198.51.100.7/32"}, []string{"alice"}))

	e.putSecret(t, ns, "users", map[string][]byte{"auth": []byte(htpasswdSHA("bob", "pw"))}, true)
	eventually.Within(t, waitFor, "the Secret's users updated", want([]string{"192.0.2.0/24", "198.51.100.7/32"}, []string{"bob"}))

	policies := e.cluster.Dynamic.Resource(gbv1alpha1.RoutePolicies).Namespace(ns)
	if err := policies.Delete(e.ctx, "guard", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually.Within(t, waitFor, "the rule answers 500 without its policy", withoutPolicy)

	e.apply(t, guardYAML(ns, "10.0.0.0/8"))
	eventually.Within(t, waitFor, "the policy back", want([]string{"10.0.0.0/8"}, []string{"bob"}))
	crd := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	if err := e.cluster.Dynamic.Resource(crd).Delete(e.ctx, gbv1alpha1.RoutePolicies.Resource+"."+gbv1alpha1.GroupName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually.Within(t, waitFor, "the rule answers 500 once the CRD is removed", withoutPolicy)
}

// checkGuard reports whether the latest sync serves the RoutePolicy guard on the route of site's rule
// with the allow-list and users given, and the route's references resolve.
func (r *running) checkGuard(ns string, allow, users []string) error {
	res, err := r.last()
	if err != nil {
		return err
	}
	p := sitePolicy(res, ns)
	if p == nil {
		return fmt.Errorf("no policy from RoutePolicy %s/guard among %d", ns, len(res.Snapshot.RoutePolicies))
	}
	var errs []error
	if want := []string{ns + "/site/rules[0]/matches[0]"}; !slices.Equal(p.Routes, want) {
		errs = append(errs, fmt.Errorf("routes %v, want %v", p.Routes, want))
	}
	if sr := p.Spec.SourceRanges; sr == nil || !slices.Equal(sr.Allow, allow) {
		errs = append(errs, fmt.Errorf("source ranges %+v, want allow %v", sr, allow))
	}
	if ba := p.Spec.BasicAuth; ba == nil || !slices.Equal(ba.Users, users) {
		errs = append(errs, fmt.Errorf("basic auth %+v, want users %v", ba, users))
	}
	return errors.Join(append(errs, routeResolved(res, ns, true, resolved))...)
}

func sitePolicy(res *convert.Result, ns string) *model.RoutePolicy {
	src := convert.ObjectRef{Kind: gbv1alpha1.RoutePolicyKind, Namespace: ns, Name: "guard"}.String()
	for i, p := range res.Snapshot.RoutePolicies {
		if slices.Contains(p.Sources, src) {
			return &res.Snapshot.RoutePolicies[i]
		}
	}
	return nil
}

// routeResolved reports whether the HTTPRoute site has ResolvedRefs ok with reason.
func routeResolved(res *convert.Result, ns string, ok bool, reason string) error {
	st := res.Status.Routes[convert.ObjectRef{Kind: "HTTPRoute", Namespace: ns, Name: "site"}]
	if len(st.Parents) != 1 {
		return fmt.Errorf("HTTPRoute %s/site has parents %+v", ns, st.Parents)
	}
	c := apimeta.FindStatusCondition(st.Parents[0].Conditions, "ResolvedRefs")
	if c == nil || (c.Status == metav1.ConditionTrue) != ok || c.Reason != reason {
		return fmt.Errorf("ResolvedRefs %+v, want %v %s", c, ok, reason)
	}
	return nil
}
