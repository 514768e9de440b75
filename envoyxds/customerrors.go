package envoyxds

import (
	"fmt"
	"slices"
	"strings"

	xdsmatcherv3 "github.com/cncf/xds/go/xds/type/matcher/v3"
	mutationrulesv3 "github.com/envoyproxy/go-control-plane/envoy/config/common/mutation_rules/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	setfilterstatecommonv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/common/set_filter_state/v3"
	setfilterstatev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/set_filter_state/v3"
	redirectpolicyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/custom_response/redirect_policy/v3"
	earlyheadermutationv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/early_header_mutation/header_mutation/v3"
	istionet "istio.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/model"
)

// Custom errors (model.CustomErrors): the custom_response filter of a route turns an answer with a
// listed status into an internal redirect (a new stream in the same connection manager, the client
// waiting) to "/" of the same host, marked by the errorPageHeader. Each virtual host whose routes have
// custom errors starts with a route per error backend that takes only the requests carrying the
// marker with that backend's key. The connection managers strip the marker from every client request
// before routing (an early header mutation, which Envoy runs on the requests of clients only, not on
// internal redirects): a client cannot reach those routes. They enable no policy filter, so the error
// backend's answer, status included, goes to the client unchanged, as nginx does.
const (
	// errorPageHeader marks the internal redirects of custom errors; its value names the error backend.
	errorPageHeader = "x-gatebridge-error-page"
	// filterOriginalURI keeps the request's path in the filter state before the router rewrites it.
	filterOriginalURI = "gatebridge.original_uri"
	// originalURIKey is the filter state key of the request's path and query.
	originalURIKey = "gatebridge.original_uri"
)

// errorPageKey names the error backend of a policy in the marker header.
func errorPageKey(p *model.RoutePolicy) string { return p.Namespace + "/" + p.Name }

// customErrorMatchers redirect each listed status of a route to its error backend, with the headers
// ingress-nginx sends there. dest is the route's (first) destination, for X-Service-Name and -Port.
func customErrorMatchers(key string, ce *model.CustomErrors, dest *istionet.Destination, skip uint32) []*xdsmatcherv3.Matcher_MatcherList_FieldMatcher {
	headers := map[string]string{
		errorPageHeader:  key,
		"X-Format":       "%REQ(accept)%",
		"X-Original-URI": "%FILTER_STATE(" + originalURIKey + ":PLAIN)%",
		"X-Request-ID":   "%REQ(x-request-id)%",
	}
	if h := dest.GetHost(); h != "" && !isUnresolved(h) {
		name, _, _ := strings.Cut(h, ".")
		headers["X-Service-Name"], headers["X-Service-Port"] = name, fmt.Sprint(dest.GetPort().GetNumber())
	}
	for k, v := range ce.Headers {
		headers[k] = strings.ReplaceAll(v, "%", "%%") // a literal, not a formatter
	}
	var out []*xdsmatcherv3.Matcher_MatcherList_FieldMatcher
	for _, code := range ce.Codes {
		if code == skip {
			continue
		}
		headers["X-Code"] = fmt.Sprint(code)
		policy := &redirectpolicyv3.RedirectPolicy{
			RedirectActionSpecifier: &redirectpolicyv3.RedirectPolicy_RedirectAction{RedirectAction: &routev3.RedirectAction{
				PathRewriteSpecifier: &routev3.RedirectAction_PathRedirect{PathRedirect: "/"},
			}},
			RequestHeadersToAdd: setHeaders(headers),
		}
		out = append(out, statusMatcher(code, fmt.Sprintf("error-page-%d", code), policy))
	}
	return out
}

// originalURIConfig keeps the path and query of a request with custom errors in the filter state, as
// the client sent it (after Envoy's path normalization), for X-Original-URI.
func originalURIConfig() *setfilterstatev3.Config {
	return &setfilterstatev3.Config{OnRequestHeaders: []*setfilterstatecommonv3.FilterStateValue{{
		Key:        &setfilterstatecommonv3.FilterStateValue_ObjectKey{ObjectKey: originalURIKey},
		FactoryKey: "envoy.string",
		Value: &setfilterstatecommonv3.FilterStateValue_FormatString{FormatString: &corev3.SubstitutionFormatString{
			Format: &corev3.SubstitutionFormatString_TextFormatSource{TextFormatSource: inline("%REQ(:path)%")},
		}},
	}}}
}

// errorPageRoutes are the routes a virtual host needs for the custom errors of its routes: one per
// error backend, taking only the internal redirects marked with its key.
func (b *builder) errorPageRoutes(routes []*routev3.Route) []*routev3.Route {
	var keys []string
	backends := map[string]*model.CustomErrors{}
	for _, r := range routes {
		p := b.policies[r.Name]
		if p == nil || p.spec.CustomErrors == nil {
			continue
		}
		if _, ok := backends[p.errorPageKey]; !ok {
			backends[p.errorPageKey] = p.spec.CustomErrors
			keys = append(keys, p.errorPageKey)
		}
	}
	slices.Sort(keys)
	var out []*routev3.Route
	for _, k := range keys {
		ce := backends[k]
		out = append(out, &routev3.Route{
			Name:  "error-page/" + k,
			Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}, Headers: []*routev3.HeaderMatcher{exactHeader(errorPageHeader, k)}},
			Action: &routev3.Route_Route{Route: &routev3.RouteAction{
				ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: b.useCluster(clusterRef{host: ce.Host, port: ce.Port})},
			}},
			// The original request went through the router, which may have left its rewritten path.
			RequestHeadersToRemove: []string{errorPageHeader, "x-envoy-original-path"},
		})
	}
	return out
}

// earlyMutations strip the custom errors marker from every client request, before routing, when
// some route of the fleet has custom errors.
func (b *builder) earlyMutations() []*corev3.TypedExtensionConfig {
	if !b.policyFilterUsed[filterOriginalURI] {
		return nil
	}
	strip := &earlyheadermutationv3.HeaderMutation{Mutations: []*mutationrulesv3.HeaderMutation{{
		Action: &mutationrulesv3.HeaderMutation_Remove{Remove: errorPageHeader},
	}}}
	return []*corev3.TypedExtensionConfig{{Name: "gatebridge.strip_error_page_marker", TypedConfig: typed(strip)}}
}
