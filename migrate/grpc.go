package migrate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	gbv1alpha1 "github.com/gatebridge/gatebridge/api/v1alpha1"
)

// gRPC service and method names as GRPCMethodMatch takes them.
var (
	grpcServiceName = regexp.MustCompile(`^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$`)
	grpcMethodName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z_0-9]*$`)
)

// grpcRules turns the rules of a host of a backend-protocol GRPC(S) Ingress into GRPCRoute rules. It
// fails (with why) when a rule has no GRPCRoute equivalent: a path that names no gRPC service or method,
// a filter other than a header modifier, a request mirror or a RoutePolicy, a redirect. approximated lists the paths whose non-gRPC forms
// no longer match.
func grpcRules(rules []gwapiv1.HTTPRouteRule) (out []gwapiv1.GRPCRouteRule, approximated []string, why string) {
	for _, r := range rules {
		g := gwapiv1.GRPCRouteRule{}
		for _, f := range r.Filters {
			if !grpcFilterType(f) {
				return nil, nil, fmt.Sprintf("a %s filter has no GRPCRoute equivalent", f.Type)
			}
			g.Filters = append(g.Filters, gwapiv1.GRPCRouteFilter{Type: gwapiv1.GRPCRouteFilterType(f.Type),
				RequestHeaderModifier: f.RequestHeaderModifier, ResponseHeaderModifier: f.ResponseHeaderModifier, RequestMirror: f.RequestMirror, ExtensionRef: f.ExtensionRef})
		}
		for _, m := range r.Matches {
			gm, approx, err := grpcMatch(m)
			if err != "" {
				return nil, nil, err
			}
			if approx != "" {
				approximated = append(approximated, approx)
			}
			g.Matches = append(g.Matches, gm)
		}
		if slices.ContainsFunc(g.Matches, func(m gwapiv1.GRPCRouteMatch) bool { return m.Method == nil && len(m.Headers) == 0 }) {
			g.Matches = nil // one match takes every call: so does a rule without matches
		}
		for _, br := range r.BackendRefs {
			g.BackendRefs = append(g.BackendRefs, gwapiv1.GRPCBackendRef{BackendRef: br.BackendRef})
		}
		out = append(out, g)
	}
	if len(out) > maxRulesPerRoute {
		return nil, nil, fmt.Sprintf("%d rules are more than a GRPCRoute holds", len(out))
	}
	return out, approximated, ""
}

// grpcFilterType says whether a GRPCRoute rule can carry an HTTPRoute filter: a header modifier, a request
// mirror, or the
// ExtensionRef naming a RoutePolicy, which gatebridge serves on GRPCRoute rules too.
func grpcFilterType(f gwapiv1.HTTPRouteFilter) bool {
	switch f.Type {
	case gwapiv1.HTTPRouteFilterRequestHeaderModifier, gwapiv1.HTTPRouteFilterResponseHeaderModifier, gwapiv1.HTTPRouteFilterRequestMirror:
		return true
	case gwapiv1.HTTPRouteFilterExtensionRef:
		return f.ExtensionRef != nil && string(f.ExtensionRef.Group) == gbv1alpha1.GroupName && string(f.ExtensionRef.Kind) == gbv1alpha1.RoutePolicyKind
	}
	return false
}

// grpcMatch maps a path match to a gRPC method match: PathPrefix / matches every call, PathPrefix
// /pkg.Service every method of the service, Exact /pkg.Service/Method one method.
func grpcMatch(m gwapiv1.HTTPRouteMatch) (gwapiv1.GRPCRouteMatch, string, string) {
	if m.Method != nil || len(m.QueryParams) > 0 {
		return gwapiv1.GRPCRouteMatch{}, "", "method and query matches have no GRPCRoute equivalent"
	}
	var g gwapiv1.GRPCRouteMatch
	for _, h := range m.Headers {
		typ := gwapiv1.GRPCHeaderMatchExact
		if h.Type != nil && *h.Type == gwapiv1.HeaderMatchRegularExpression {
			typ = gwapiv1.GRPCHeaderMatchRegularExpression
		}
		g.Headers = append(g.Headers, gwapiv1.GRPCHeaderMatch{Type: &typ, Name: gwapiv1.GRPCHeaderName(h.Name), Value: h.Value})
	}
	if m.Path == nil || m.Path.Value == nil || m.Path.Type == nil {
		return g, "", ""
	}
	path := *m.Path.Value
	trimmed := strings.Trim(path, "/")
	exact := gwapiv1.GRPCMethodMatchExact
	switch *m.Path.Type {
	case gwapiv1.PathMatchPathPrefix:
		if trimmed == "" {
			return g, "", ""
		}
		if grpcServiceName.MatchString(trimmed) {
			g.Method = &gwapiv1.GRPCMethodMatch{Type: &exact, Service: new(trimmed)}
			return g, path, ""
		}
	case gwapiv1.PathMatchExact:
		svc, method, ok := strings.Cut(trimmed, "/")
		if ok && grpcServiceName.MatchString(svc) && grpcMethodName.MatchString(method) {
			g.Method = &gwapiv1.GRPCMethodMatch{Type: &exact, Service: new(svc), Method: new(method)}
			return g, "", ""
		}
	}
	return g, "", fmt.Sprintf("path %s (%s) names no gRPC service or method", path, *m.Path.Type)
}

// grpcHostAlone says whether p is the only Ingress of its class with routes for host h: a listener
// takes HTTPRoutes or GRPCRoutes for one hostname, not both.
func grpcHostAlone(cb *classBuild, p *ingressPlan, h string) bool {
	for _, o := range cb.plans {
		if o != p && len(o.paths[h]) > 0 {
			return false
		}
	}
	return true
}

// addGRPCRoute adds the GRPCRoute of one host of a backend-protocol GRPC(S) Ingress; false (and why)
// when its rules need an HTTPRoute.
func (b *gwBuilder) addGRPCRoute(cb *classBuild, p *ingressPlan, host, name string, parents []gwapiv1.ParentReference, rules []gwapiv1.HTTPRouteRule) (bool, string) {
	if !grpcHostAlone(cb, p, host) {
		return false, "another Ingress has paths for this host, and a listener takes HTTPRoutes or GRPCRoutes for a hostname, not both"
	}
	grules, approximated, why := grpcRules(mergeRules(rules))
	if why != "" {
		return false, why
	}
	route := &gwapiv1.GRPCRoute{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: p.ing.Namespace, Labels: sourceLabels(p)},
		Spec:       gwapiv1.GRPCRouteSpec{CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: parents}, Rules: grules},
	}
	route.Spec.Hostnames = cb.hostnames(host)
	b.out.grpcRoutes = append(b.out.grpcRoutes, route)
	p.report.Outputs = append(p.report.Outputs, "GRPCRoute/"+p.ing.Namespace+"/"+name)
	if len(approximated) > 0 {
		p.item(np+"backend-protocol", Approximated, host, "GRPCRoute %s (HTTP/2 to the backend, whatever the Service's appProtocol); the prefixes %s match the calls of that gRPC service "+
			"(/service/Method), no longer the bare prefix or other paths under it", name, strings.Join(approximated, ", "))
	} else {
		p.item(np+"backend-protocol", Exact, host, "GRPCRoute %s: gRPC calls go to the backend over HTTP/2, whatever the Service's appProtocol", name)
	}
	return true, ""
}
