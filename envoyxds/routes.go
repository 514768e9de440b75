package envoyxds

import (
	"fmt"
	"slices"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	previoushostsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"github.com/envoyproxy/go-control-plane/pkg/wellknown"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	istionet "istio.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/model"
)

// routeConfig builds the routes of one port: a virtual host per hostname, holding the routes of the
// VirtualServices bound to the port's Gateways, in their order. Every server hostname gets a virtual
// host even without routes, so that its requests get 404 rather than another hostname's routes.
func (b *builder) routeConfig(port uint32, servers []server) (*routev3.RouteConfiguration, error) {
	gateways := map[string]bool{}
	var serverHosts []string
	for _, s := range servers {
		gateways[gatewayRef(s.gw)] = true
		serverHosts = append(serverHosts, s.srv.Hosts...)
	}
	vhosts := map[string]*routev3.VirtualHost{}
	var order []string
	vhost := func(host string) *routev3.VirtualHost {
		if vh, ok := vhosts[host]; ok {
			return vh
		}
		vh := &routev3.VirtualHost{Name: fmt.Sprintf("%s:%d", host, port), Domains: []string{host}}
		vhosts[host] = vh
		order = append(order, host)
		return vh
	}
	for i := range b.snap.VirtualServices {
		vs := &b.snap.VirtualServices[i]
		if vs.Fleet != b.fleet || !slices.ContainsFunc(vs.Spec.Gateways, func(g string) bool { return gateways[g] }) {
			continue
		}
		var routes []*routev3.Route // the same for every host of the VirtualService
		for _, r := range vs.Spec.Http {
			rs, err := b.translateRoute(r, port)
			if err != nil {
				return nil, fmt.Errorf("VirtualService %s/%s route %q: %w", vs.Namespace, vs.Name, r.Name, err)
			}
			routes = append(routes, rs...)
		}
		for _, host := range vs.Spec.Hosts {
			vh := vhost(host)
			vh.Routes = append(vh.Routes, routes...)
		}
	}
	for _, h := range serverHosts {
		vhost(h)
	}
	rc := &routev3.RouteConfiguration{Name: routeConfigName(port), IgnorePortInHostMatching: true}
	slices.Sort(order)
	for _, h := range order {
		vh := vhosts[h]
		vh.Routes = append(b.errorPageRoutes(vh.Routes), vh.Routes...)
		rc.VirtualHosts = append(rc.VirtualHosts, vh)
	}
	return rc, nil
}

// translateRoute turns one Istio route into Envoy routes, one per match that applies to the port.
func (b *builder) translateRoute(r *istionet.HTTPRoute, port uint32) ([]*routev3.Route, error) {
	matches := r.Match
	if len(matches) == 0 {
		matches = []*istionet.HTTPMatchRequest{{}}
	}
	var out []*routev3.Route
	for _, m := range matches {
		if m.Port != 0 && m.Port != port {
			continue
		}
		route := &routev3.Route{Name: r.Name, Match: routeMatch(m)}
		if err := b.routeAction(route, r, port); err != nil {
			return nil, err
		}
		applyHeaders(r.Headers, &route.RequestHeadersToAdd, &route.RequestHeadersToRemove, &route.ResponseHeadersToAdd, &route.ResponseHeadersToRemove)
		if r.CorsPolicy != nil {
			route.TypedPerFilterConfig = map[string]*anypb.Any{wellknown.CORS: typed(corsPolicy(r.CorsPolicy))}
		}
		b.applyPolicy(route, r)
		out = append(out, route)
	}
	return out, nil
}

func stringMatcher(sm *istionet.StringMatch) *matcherv3.StringMatcher {
	switch m := sm.GetMatchType().(type) {
	case *istionet.StringMatch_Exact:
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: m.Exact}}
	case *istionet.StringMatch_Prefix:
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: m.Prefix}}
	case *istionet.StringMatch_Regex:
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: m.Regex}}}
	}
	return nil
}

func headerMatcher(name string, sm *istionet.StringMatch) *routev3.HeaderMatcher {
	return &routev3.HeaderMatcher{Name: name, HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: stringMatcher(sm)}}
}

func routeMatch(m *istionet.HTTPMatchRequest) *routev3.RouteMatch {
	rm := &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}}
	switch u := m.GetUri().GetMatchType().(type) {
	case *istionet.StringMatch_Exact:
		rm.PathSpecifier = &routev3.RouteMatch_Path{Path: u.Exact}
	case *istionet.StringMatch_Prefix:
		rm.PathSpecifier = &routev3.RouteMatch_Prefix{Prefix: u.Prefix}
	case *istionet.StringMatch_Regex:
		rm.PathSpecifier = &routev3.RouteMatch_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: u.Regex}}
	}
	if m.IgnoreUriCase {
		rm.CaseSensitive = wrapperspb.Bool(false)
	}
	for _, name := range sortedKeys(m.Headers) {
		rm.Headers = append(rm.Headers, headerMatcher(name, m.Headers[name]))
	}
	for _, name := range sortedKeys(m.WithoutHeaders) {
		hm := headerMatcher(name, m.WithoutHeaders[name])
		hm.InvertMatch = true
		rm.Headers = append(rm.Headers, hm)
	}
	if m.Method != nil {
		rm.Headers = append(rm.Headers, headerMatcher(":method", m.Method))
	}
	if m.Authority != nil {
		rm.Headers = append(rm.Headers, headerMatcher(":authority", m.Authority))
	}
	for _, name := range sortedKeys(m.QueryParams) {
		rm.QueryParameters = append(rm.QueryParameters, &routev3.QueryParameterMatcher{
			Name: name, QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: stringMatcher(m.QueryParams[name])},
		})
	}
	return rm
}

// routeAction sets what a route does: a redirect, a direct response, or forwarding to weighted clusters.
func (b *builder) routeAction(route *routev3.Route, r *istionet.HTTPRoute, port uint32) error {
	switch {
	case r.Redirect != nil:
		route.Action = &routev3.Route_Redirect{Redirect: redirectAction(r.Redirect, port)}
		return nil
	case r.DirectResponse != nil:
		route.Action = &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: r.DirectResponse.Status}}
		return nil
	case len(r.Route) == 0:
		return fmt.Errorf("no action")
	}
	ra := &routev3.RouteAction{Timeout: durationpb.New(0)}
	if r.Timeout != nil {
		ra.Timeout = r.Timeout
	}
	if slices.ContainsFunc(r.Route, func(d *istionet.HTTPRouteDestination) bool { return isUnresolved(d.GetDestination().GetHost()) }) {
		ra.ClusterNotFoundResponseCode = routev3.RouteAction_INTERNAL_SERVER_ERROR
	}
	if len(r.Route) == 1 && r.Route[0].Headers == nil {
		ra.ClusterSpecifier = &routev3.RouteAction_Cluster{Cluster: b.routeCluster(r.Route[0].Destination)}
	} else {
		wc := &routev3.WeightedCluster{}
		for _, d := range r.Route {
			w := uint32(d.Weight)
			if len(r.Route) == 1 {
				w = 1
			}
			cw := &routev3.WeightedCluster_ClusterWeight{Name: b.routeCluster(d.Destination), Weight: wrapperspb.UInt32(w)}
			applyHeaders(d.Headers, &cw.RequestHeadersToAdd, &cw.RequestHeadersToRemove, &cw.ResponseHeadersToAdd, &cw.ResponseHeadersToRemove)
			wc.Clusters = append(wc.Clusters, cw)
		}
		ra.ClusterSpecifier = &routev3.RouteAction_WeightedClusters{WeightedClusters: wc}
	}
	ra.HashPolicy = b.hashPolicies(r.Route)
	if rw := r.Rewrite; rw != nil {
		ra.PrefixRewrite = rw.Uri
		if rw.UriRegexRewrite != nil {
			ra.RegexRewrite = &matcherv3.RegexMatchAndSubstitute{Pattern: &matcherv3.RegexMatcher{Regex: rw.UriRegexRewrite.Match}, Substitution: rw.UriRegexRewrite.Rewrite}
		}
		if rw.Authority != "" {
			ra.HostRewriteSpecifier = &routev3.RouteAction_HostRewriteLiteral{HostRewriteLiteral: rw.Authority}
		}
	}
	if r.Retries != nil {
		ra.RetryPolicy = retryPolicy(r.Retries)
	}
	for _, m := range r.Mirrors {
		mp := &routev3.RouteAction_RequestMirrorPolicy{Cluster: b.destinationCluster(m.Destination)}
		if m.Percentage != nil {
			mp.RuntimeFraction = &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{
				Numerator: uint32(m.Percentage.Value * 10000), Denominator: typev3.FractionalPercent_MILLION,
			}}
		}
		ra.RequestMirrorPolicies = append(ra.RequestMirrorPolicies, mp)
	}
	ra.UpgradeConfigs = []*routev3.RouteAction_UpgradeConfig{{UpgradeType: "websocket"}}
	route.Action = &routev3.Route_Route{Route: ra}
	return nil
}

// UnresolvedCluster is the cluster name HTTP routes use for a backend that does not resolve. No such
// cluster is ever defined, so Envoy answers the route's ClusterNotFoundResponseCode (500) for the share
// of requests that would go there, and serves the other backends of the route as usual.
const UnresolvedCluster = "unresolved-backend"

// routeCluster names the cluster an HTTP route sends a destination to.
func (b *builder) routeCluster(d *istionet.Destination) string {
	if isUnresolved(d.GetHost()) {
		return UnresolvedCluster
	}
	return b.destinationCluster(d)
}

// destinationCluster names the cluster of a destination. For TCP proxying the unresolved-backend host
// has a cluster of its own without endpoints, so that connections are refused.
func (b *builder) destinationCluster(d *istionet.Destination) string {
	ref, _ := destinationRef(d)
	return b.useCluster(ref)
}

// destinationRef is the cluster of a destination: its host, port and subset; ok is false for the
// unresolved-backend host.
func destinationRef(d *istionet.Destination) (ref clusterRef, ok bool) {
	return clusterRef{host: d.GetHost(), port: d.GetPort().GetNumber(), subset: d.GetSubset()}, !isUnresolved(d.GetHost())
}

var redirectCodes = map[uint32]routev3.RedirectAction_RedirectResponseCode{
	301: routev3.RedirectAction_MOVED_PERMANENTLY,
	302: routev3.RedirectAction_FOUND,
	303: routev3.RedirectAction_SEE_OTHER,
	307: routev3.RedirectAction_TEMPORARY_REDIRECT,
	308: routev3.RedirectAction_PERMANENT_REDIRECT,
}

// redirectAction builds a redirect answered on the Gateway port port. Envoy drops the request's port
// when the redirect names a host; a redirect that keeps the request's port therefore names it, unless it
// is a scheme's default port, which URLs leave out.
func redirectAction(r *istionet.HTTPRedirect, port uint32) *routev3.RedirectAction {
	ra := &routev3.RedirectAction{ResponseCode: redirectCodes[r.RedirectCode], HostRedirect: r.Authority}
	if r.RedirectCode == 0 {
		ra.ResponseCode = routev3.RedirectAction_MOVED_PERMANENTLY
	}
	if r.Scheme != "" {
		ra.SchemeRewriteSpecifier = &routev3.RedirectAction_SchemeRedirect{SchemeRedirect: r.Scheme}
	}
	switch p := r.RedirectPort.(type) {
	case *istionet.HTTPRedirect_Port:
		ra.PortRedirect = p.Port
	case *istionet.HTTPRedirect_DerivePort:
		if p.DerivePort == istionet.HTTPRedirect_FROM_REQUEST_PORT && r.Scheme == "" && port != 80 && port != 443 {
			ra.PortRedirect = port
		}
	}
	switch {
	case r.Uri != "":
		ra.PathRewriteSpecifier = &routev3.RedirectAction_PathRedirect{PathRedirect: r.Uri}
	case r.PrefixRewrite != "":
		ra.PathRewriteSpecifier = &routev3.RedirectAction_PrefixRewrite{PrefixRewrite: r.PrefixRewrite}
	}
	return ra
}

// previousHostsAttempts is how many times Envoy draws an endpoint for a retry before taking one
// already tried (Istio's value).
const previousHostsAttempts = 5

func retryPolicy(r *istionet.HTTPRetry) *routev3.RetryPolicy {
	rp := &routev3.RetryPolicy{NumRetries: wrapperspb.UInt32(uint32(max(r.Attempts, 0))), PerTryTimeout: r.PerTryTimeout}
	var on []string
	for _, part := range strings.Split(r.RetryOn, ",") {
		part = strings.TrimSpace(part)
		var code uint32
		if _, err := fmt.Sscanf(part, "%d", &code); err == nil && fmt.Sprint(code) == part {
			rp.RetriableStatusCodes = append(rp.RetriableStatusCodes, code)
			continue
		}
		if part != "" {
			on = append(on, part)
		}
	}
	if len(rp.RetriableStatusCodes) > 0 {
		on = append(on, "retriable-status-codes")
	}
	rp.RetryOn = strings.Join(on, ",")
	// As Istio, retries go to other endpoints than those already tried unless told otherwise.
	if r.RetryIgnorePreviousHosts == nil || r.RetryIgnorePreviousHosts.Value {
		rp.RetryHostPredicate = []*routev3.RetryPolicy_RetryHostPredicate{{Name: "envoy.retry_host_predicates.previous_hosts",
			ConfigType: &routev3.RetryPolicy_RetryHostPredicate_TypedConfig{TypedConfig: typed(&previoushostsv3.PreviousHostsPredicate{})}}}
		rp.HostSelectionRetryMaxAttempts = previousHostsAttempts
	}
	if r.Backoff != nil {
		rp.RetryBackOff = &routev3.RetryPolicy_RetryBackOff{BaseInterval: r.Backoff}
	}
	return rp
}

// setHeaders are header options that overwrite, sorted by name.
func setHeaders(h map[string]string) []*corev3.HeaderValueOption {
	var out []*corev3.HeaderValueOption
	for _, k := range sortedKeys(h) {
		out = append(out, &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: k, Value: h[k]}, AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD})
	}
	return out
}

// exactHeader matches a request whose header name has exactly value.
func exactHeader(name, value string) *routev3.HeaderMatcher {
	return &routev3.HeaderMatcher{Name: name, HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{
		StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: value}},
	}}
}

func applyHeaders(h *istionet.Headers, reqAdd *[]*corev3.HeaderValueOption, reqRemove *[]string, respAdd *[]*corev3.HeaderValueOption, respRemove *[]string) {
	if h == nil {
		return
	}
	add := func(ops *istionet.Headers_HeaderOperations, to *[]*corev3.HeaderValueOption, remove *[]string) {
		if ops == nil {
			return
		}
		*to = append(*to, setHeaders(ops.Set)...)
		for _, k := range sortedKeys(ops.Add) {
			*to = append(*to, &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: k, Value: ops.Add[k]},
				AppendAction: corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD})
		}
		*remove = append(*remove, ops.Remove...)
	}
	add(h.Request, reqAdd, reqRemove)
	add(h.Response, respAdd, respRemove)
}

func corsPolicy(c *istionet.CorsPolicy) *corsv3.CorsPolicy {
	p := &corsv3.CorsPolicy{
		AllowMethods:     strings.Join(c.AllowMethods, ","),
		AllowHeaders:     strings.Join(c.AllowHeaders, ","),
		ExposeHeaders:    strings.Join(c.ExposeHeaders, ","),
		AllowCredentials: c.AllowCredentials,
	}
	for _, o := range c.AllowOrigins {
		p.AllowOriginStringMatch = append(p.AllowOriginStringMatch, stringMatcher(o))
	}
	if c.MaxAge != nil {
		p.MaxAge = fmt.Sprint(int64(c.MaxAge.AsDuration().Seconds()))
	}
	if c.UnmatchedPreflights == istionet.CorsPolicy_IGNORE {
		p.ForwardNotMatchingPreflights = wrapperspb.Bool(false)
	}
	return p
}

// isUnresolved reports whether a cluster stands for backends that do not resolve.
func isUnresolved(host string) bool { return host == model.UnresolvedBackendHost }
