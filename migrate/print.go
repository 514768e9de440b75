package migrate

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// outputs are the resources of a Gateway API migration.
type outputs struct {
	gateways   []*gwapiv1.Gateway
	httpRoutes []*gwapiv1.HTTPRoute
	grpcRoutes []*gwapiv1.GRPCRoute
	tlsRoutes  []*gwapiv1.TLSRoute
	backendTLS []*gwapiv1.BackendTLSPolicy
	// grants holds, by namespace, the Secrets Gateways of other namespaces refer to.
	grants map[string]map[string]bool
	// policyGrants holds, by Service namespace and RoutePolicy namespace, the auth Services RoutePolicies
	// of another namespace name.
	policyGrants map[[2]string]map[string]bool
	// routeGrants holds, by Service namespace and route namespace, the Services routes of another
	// namespace mirror to.
	routeGrants map[[2]string]map[string]bool
	// extra holds resources of other APIs (gatebridge's RoutePolicies), already as documents.
	extra []map[string]any
}

// gatewayAPIVersion is the apiVersion of every Gateway API resource migrate makes.
const gatewayAPIVersion = gwapiv1.GroupName + "/v1"

// documents turns the outputs into documents in apply order (Gateways, grants, routes, policies), each
// kind sorted by namespace and name.
func (o *outputs) documents(grants []*gwapiv1.ReferenceGrant) ([]map[string]any, error) {
	var docs []map[string]any
	var errs []error
	add := func(kind string, obj any) {
		d, err := document(gatewayAPIVersion, kind, obj)
		if err != nil {
			errs = append(errs, err)
			return
		}
		docs = append(docs, d)
	}
	for _, g := range o.gateways {
		add("Gateway", g)
	}
	for _, g := range slices.Concat(grants, o.policyGrantObjects(), o.routeGrantObjects()) {
		add("ReferenceGrant", g)
	}
	for _, r := range o.httpRoutes {
		add("HTTPRoute", r)
	}
	for _, r := range o.grpcRoutes {
		add("GRPCRoute", r)
	}
	for _, r := range o.tlsRoutes {
		add("TLSRoute", r)
	}
	for _, p := range o.backendTLS {
		add("BackendTLSPolicy", p)
	}
	docs = append(docs, o.extra...)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	sortDocuments(docs)
	return docs, nil
}

var kindOrder = map[string]int{"Gateway": 0, "ReferenceGrant": 1, "HTTPRoute": 2, "GRPCRoute": 3, "TLSRoute": 4, "BackendTLSPolicy": 5}

func sortDocuments(docs []map[string]any) {
	slices.SortStableFunc(docs, func(a, b map[string]any) int {
		ka, kb := a["kind"].(string), b["kind"].(string)
		oa, ok := kindOrder[ka]
		if !ok {
			oa = len(kindOrder)
		}
		ob, ok := kindOrder[kb]
		if !ok {
			ob = len(kindOrder)
		}
		ma, mb := a["metadata"].(map[string]any), b["metadata"].(map[string]any)
		return cmp.Or(cmp.Compare(oa, ob), cmp.Compare(ka, kb),
			cmp.Compare(fmt.Sprint(ma["namespace"]), fmt.Sprint(mb["namespace"])), cmp.Compare(fmt.Sprint(ma["name"]), fmt.Sprint(mb["name"])))
	})
}

// document turns a typed object into a manifest: apiVersion and kind set, no status and no empty
// creationTimestamp.
func document(apiVersion, kind string, obj any) (map[string]any, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", kind, err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("unmarshal %s: %w", kind, err)
	}
	m["apiVersion"], m["kind"] = apiVersion, kind
	delete(m, "status")
	if meta, ok := m["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	return m, nil
}
