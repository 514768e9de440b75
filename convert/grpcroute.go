package convert

import (
	"cmp"
	"fmt"
	"regexp"

	"google.golang.org/protobuf/proto"
	istionet "istio.io/api/networking/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func (t *translator) translateGRPCRoute(r *gwapiv1.GRPCRoute, gateways map[nsName]*gatewayInfo) {
	rc := newRouteCommon("GRPCRoute", &r.ObjectMeta, r.Spec.ParentRefs, r.Spec.Hostnames)
	t.translateRules(rc, gateways, len(r.Spec.Rules), func(i int, refs **refProblem) ([]httpEntry, *refProblem) {
		return t.grpcRuleEntries(rc, i, r.Spec.Rules[i], refs)
	})
}

func (t *translator) grpcRuleEntries(rc *routeCommon, ruleIdx int, rule gwapiv1.GRPCRouteRule, refs **refProblem) ([]httpEntry, *refProblem) {
	policy, fail, problem := t.grpcRulePolicy(rc, rule.Filters, refs)
	if problem != nil {
		return nil, problem
	}
	base := &istionet.HTTPRoute{}
	for _, f := range rule.Filters {
		if isRoutePolicyFilter(policyFilterOf(f)) {
			continue // grpcRulePolicy applies it
		}
		if problem := t.commonFilter(rc, base, gwapiv1.HTTPRouteFilterType(f.Type), f.RequestHeaderModifier, f.ResponseHeaderModifier, f.RequestMirror, nil, refs); problem != nil {
			return nil, problem
		}
	}
	var backends []backendSpec
	for _, b := range rule.BackendRefs {
		bs := backendSpec{ref: b.BackendRef}
		for _, f := range b.Filters {
			bs.filters = append(bs.filters, gwapiv1.HTTPRouteFilter{Type: gwapiv1.HTTPRouteFilterType(f.Type),
				RequestHeaderModifier: f.RequestHeaderModifier, ResponseHeaderModifier: f.ResponseHeaderModifier})
		}
		backends = append(backends, bs)
	}
	if problem := t.httpDestinations(rc, base, backends, refs); problem != nil {
		return nil, problem
	}
	if fail {
		failRule(base)
	}
	if base.DirectResponse != nil && base.DirectResponse.Status == 500 && len(base.Route) == 0 {
		base.DirectResponse.Status = 503 // gRPC clients read 503 as UNAVAILABLE, which the specification asks for
	}
	for _, d := range base.Route {
		if d.Destination.Port != nil {
			t.grpcPorts[grpcPort{d.Destination.Host, d.Destination.Port.Number}] = true
		}
	}
	if rule.SessionPersistence != nil {
		t.note(rc.ref, NoteWarning, "Unsupported", "sessionPersistence is not supported yet; requests are balanced without affinity")
	}
	matches := rule.Matches
	if len(matches) == 0 {
		matches = []gwapiv1.GRPCRouteMatch{{}}
	}
	var entries []httpEntry
	for mi, m := range matches {
		mr, pm, rank, err := grpcMatchRequest(m)
		if err != nil {
			return nil, &refProblem{gwapiv1.RouteReasonUnsupportedValue, fmt.Sprintf("matches[%d]: %v", mi, err)}
		}
		route := proto.Clone(base).(*istionet.HTTPRoute)
		route.Name = fmt.Sprintf("%s/%s/rules[%d]/matches[%d]", rc.ref.Namespace, rc.ref.Name, ruleIdx, mi)
		route.Match = []*istionet.HTTPMatchRequest{mr}
		if policy != nil {
			t.policyRoutes[route.Name] = policy
		}
		entries = append(entries, httpEntry{rc: rc, rule: ruleIdx, match: mi, rank: rank, routes: expandPath(route, pm, pathRewrite{})})
	}
	return entries, nil
}

// grpcRulePolicy finds the RoutePolicy a GRPCRoute rule names, as rulePolicy does for an HTTPRoute rule.
func (t *translator) grpcRulePolicy(rc *routeCommon, filters []gwapiv1.GRPCRouteFilter, refs **refProblem) (*resolvedPolicy, bool, *refProblem) {
	var asHTTP []gwapiv1.HTTPRouteFilter
	for _, f := range filters {
		asHTTP = append(asHTTP, policyFilterOf(f))
	}
	return t.rulePolicy(rc, asHTTP, refs)
}

// policyFilterOf is what rulePolicy reads of a GRPCRoute filter.
func policyFilterOf(f gwapiv1.GRPCRouteFilter) gwapiv1.HTTPRouteFilter {
	return gwapiv1.HTTPRouteFilter{Type: gwapiv1.HTTPRouteFilterType(f.Type), ExtensionRef: f.ExtensionRef}
}

// grpcMatchRequest maps a gRPC method match to a path match on /service/method.
func grpcMatchRequest(m gwapiv1.GRPCRouteMatch) (*istionet.HTTPMatchRequest, pathMatch, matchRank, error) {
	pm := pathMatch{kind: pathStringPrefix, value: "/"}
	if mm := m.Method; mm != nil {
		svc, method := "", ""
		if mm.Service != nil {
			svc = *mm.Service
		}
		if mm.Method != nil {
			method = *mm.Method
		}
		regex := mm.Type != nil && *mm.Type == gwapiv1.GRPCMethodMatchRegularExpression
		switch {
		case regex:
			pm = pathMatch{kind: pathRegex, value: "/(?:" + cmp.Or(svc, "[^/]+") + ")/(?:" + cmp.Or(method, "[^/]+") + ")"}
			if _, err := regexp.Compile(pm.value); err != nil {
				return nil, pm, matchRank{}, fmt.Errorf("method regular expression: %w", err)
			}
		case svc != "" && method != "":
			pm = pathMatch{kind: pathExact, value: "/" + svc + "/" + method}
		case svc != "":
			pm = pathMatch{kind: pathStringPrefix, value: "/" + svc + "/"}
		case method != "":
			pm = pathMatch{kind: pathRegex, value: "/[^/]+/" + regexp.QuoteMeta(method)}
		}
	}
	var headers []gwapiv1.HTTPHeaderMatch
	for _, h := range m.Headers {
		typ := gwapiv1.HeaderMatchExact
		if h.Type != nil && *h.Type == gwapiv1.GRPCHeaderMatchRegularExpression {
			typ = gwapiv1.HeaderMatchRegularExpression
		}
		headers = append(headers, gwapiv1.HTTPHeaderMatch{Type: &typ, Name: gwapiv1.HTTPHeaderName(h.Name), Value: h.Value})
	}
	exact := gwapiv1.PathMatchExact
	mr, _, rank, err := httpMatchRequest(gwapiv1.HTTPRouteMatch{Headers: headers, Path: &gwapiv1.HTTPPathMatch{Type: &exact, Value: &pm.value}})
	// gRPC precedence: the most characters of matching service, then of method, then most headers.
	rank.kind, rank.pathLen = pathExact, grpcSpecificity(m.Method)
	return mr, pm, rank, err
}

func grpcSpecificity(m *gwapiv1.GRPCMethodMatch) int {
	if m == nil {
		return 0
	}
	n := 0
	if m.Service != nil {
		n = len(*m.Service) << 16
	}
	if m.Method != nil {
		n += len(*m.Method)
	}
	return n
}
