package envoyxds

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	xdsmatcherv3 "github.com/cncf/xds/go/xds/type/matcher/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rbacconfigv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/common/ratelimit/v3"
	basicauthv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/basic_auth/v3"
	bodysizelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/body_size_limit/v3"
	customresponsev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/custom_response/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	localratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	setfilterstatev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/set_filter_state/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	metadatav3 "github.com/envoyproxy/go-control-plane/envoy/type/metadata/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"github.com/envoyproxy/go-control-plane/pkg/wellknown"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	istionet "istio.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/model"
)

// The HTTP filters that serve route policies. Each is in the chain disabled, only when some route of
// the fleet needs it, and enabled with that route's settings by the route's typed_per_filter_config.
const (
	// filterCustomResponse turns the 401 answers of routes with a sign-in URL into redirects, and the
	// answers of routes with custom errors into internal redirects to their error backend.
	filterCustomResponse = "envoy.filters.http.custom_response"
	// filterLimitExempt is an rbac filter with shadow rules only: it enforces nothing, but records in
	// dynamic metadata whether the client is in the route's rate limit exempt ranges.
	filterLimitExempt = "gatebridge.limit_exempt"
	filterRateLimit   = "envoy.filters.http.local_ratelimit"
	filterRBAC        = wellknown.HTTPRoleBasedAccessControl
	filterBasicAuth   = "envoy.filters.http.basic_auth"
	filterExtAuthz    = wellknown.HTTPExternalAuthorization
	// filterBodyLimitPrefix names the body_size_limit filters, one per limit the fleet's routes ask
	// (the filter takes no per-route configuration): a route enables the one of its limit.
	filterBodyLimitPrefix = "gatebridge.body_limit."
)

// policyFilterOrder is the order of the policy filters, as nginx runs its phases: rate limits
// (preaccess), then address ranges, basic and external authentication (access); the body limits
// follow. The sign-in redirect and custom errors come first: their encoder must see the answers the
// other filters make (401 of authentication, 403 of address ranges, 503 of rate limits), as nginx's
// error_page does. Before it, the request's path is kept for the error backend (set_filter_state:
// decoding only).
var policyFilterOrder = []string{filterOriginalURI, filterCustomResponse, filterLimitExempt, filterRateLimit, filterRBAC, filterBasicAuth, filterExtAuthz}

// bodyLimitFilter is the name of the body_size_limit filter of a limit.
func bodyLimitFilter(limit uint64) string {
	return filterBodyLimitPrefix + strconv.FormatUint(limit, 10)
}

// noUser is an htpasswd line no password matches (the hash is of no known input): basic_auth needs at
// least one user, and a route whose Secret has no usable user must refuse everyone.
const noUser = "gatebridge-no-user:{SHA}AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"

// Limits of the policy filters.
const (
	// extAuthTimeout bounds a check request.
	extAuthTimeout = 10 * time.Second
	// maxClientBuckets is how many client addresses a rate-limited route keeps a bucket for (least
	// recently used first out).
	maxClientBuckets = 10000
)

// routePolicy is a policy with the per-route configurations of its filters, by filter name, built
// once for every route (and port) it applies to.
type routePolicy struct {
	spec    *model.RoutePolicySpec
	configs map[string]*anypb.Any
	// errorPageKey names the policy's error backend (custom errors) in internal redirects.
	errorPageKey string
}

// indexPolicies maps the fleet's routes to their policy and notes which filters they need.
func (b *builder) indexPolicies() {
	b.policies = map[string]*routePolicy{}
	b.policyFilterUsed = map[string]bool{}
	b.policyBodyLimits = map[uint64]bool{}
	for i := range b.snap.RoutePolicies {
		p := &b.snap.RoutePolicies[i]
		if p.Fleet != b.fleet {
			continue
		}
		rp := &routePolicy{spec: &p.Spec, configs: map[string]*anypb.Any{}, errorPageKey: errorPageKey(p)}
		for name, cfg := range policyConfigs(&p.Spec) {
			rp.configs[name] = typed(&routev3.FilterConfig{Config: typed(cfg)})
			b.policyFilterUsed[name] = true
		}
		if limit := p.Spec.MaxRequestBodyBytes; limit > 0 {
			// A FilterConfig whose config is an empty Any enables a filter the chain holds disabled.
			rp.configs[bodyLimitFilter(limit)] = typed(&routev3.FilterConfig{Config: &anypb.Any{}})
			b.policyBodyLimits[limit] = true
		}
		// custom_response is configured route by route (applyPolicy).
		if p.Spec.CustomErrors != nil || (p.Spec.ExtAuth != nil && p.Spec.ExtAuth.SigninURL != "") {
			b.policyFilterUsed[filterCustomResponse] = true
		}
		for _, r := range p.Routes {
			b.policies[r] = rp
		}
	}
}

// policyFilters are the disabled policy filters the fleet's HTTP connection managers carry.
func (b *builder) policyFilters() []*hcmv3.HttpFilter {
	var out []*hcmv3.HttpFilter
	for _, name := range policyFilterOrder {
		if b.policyFilterUsed[name] {
			out = append(out, &hcmv3.HttpFilter{Name: name, Disabled: true, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: typed(baseFilterConfig(name))}})
		}
	}
	for _, limit := range slices.Sorted(maps.Keys(b.policyBodyLimits)) {
		cfg := &bodysizelimitv3.BodySizeLimit{MaxRequestBytes: wrapperspb.UInt64(limit)}
		out = append(out, &hcmv3.HttpFilter{Name: bodyLimitFilter(limit), Disabled: true, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: typed(cfg)}})
	}
	return out
}

// baseFilterConfig is the chain-level configuration of a policy filter; routes override all of it.
func baseFilterConfig(name string) proto.Message {
	switch name {
	case filterCustomResponse:
		return &customresponsev3.CustomResponse{}
	case filterOriginalURI:
		return &setfilterstatev3.Config{}
	case filterLimitExempt:
		// The metadata key takes its prefix from this configuration, not the route's.
		return &rbacv3.RBAC{ShadowRulesStatPrefix: limitExemptPrefix}
	case filterRateLimit:
		return &localratelimitv3.LocalRateLimit{StatPrefix: "route_rate_limit"}
	case filterRBAC:
		return &rbacv3.RBAC{}
	case filterBasicAuth:
		return &basicauthv3.BasicAuth{Users: inline(noUser)}
	}
	// filterExtAuthz: every route names its own service; a request reaching this one fails with 500.
	return &extauthzv3.ExtAuthz{
		Services:      &extauthzv3.ExtAuthz_HttpService{HttpService: httpAuthService("unset.invalid", "unset-ext-authz", "/")},
		StatusOnError: &typev3.HttpStatus{Code: typev3.StatusCode_InternalServerError},
		// Every header of the request goes to the auth service, as nginx's auth_request does.
		AllowedHeaders: &matcherv3.ListStringMatcher{Patterns: []*matcherv3.StringMatcher{{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: ".*"}}}}},
	}
}

// applyPolicy enables, on an Envoy route, the filters its model route's policy asks for.
func (b *builder) applyPolicy(route *routev3.Route, r *istionet.HTTPRoute) {
	p, ok := b.policies[route.Name]
	if !ok {
		return
	}
	spec := p.spec
	if spec.ExtAuth != nil {
		b.authClusters[b.useCluster(clusterRef{host: spec.ExtAuth.Host, port: spec.ExtAuth.Port})] = true
	}
	for name, cfg := range p.configs {
		if route.TypedPerFilterConfig == nil {
			route.TypedPerFilterConfig = map[string]*anypb.Any{}
		}
		route.TypedPerFilterConfig[name] = proto.Clone(cfg).(*anypb.Any)
	}
	if cr := b.customResponse(p, r); cr != nil {
		if route.TypedPerFilterConfig == nil {
			route.TypedPerFilterConfig = map[string]*anypb.Any{}
		}
		route.TypedPerFilterConfig[filterCustomResponse] = typed(&routev3.FilterConfig{Config: typed(cr)})
	}
	if ra := route.GetRoute(); ra != nil && spec.IdleTimeoutSeconds > 0 {
		ra.IdleTimeout = durationpb.New(time.Duration(spec.IdleTimeoutSeconds) * time.Second)
	}
	if spec.MirrorHost != "" {
		for _, m := range route.GetRoute().GetRequestMirrorPolicies() {
			m.HostRewriteLiteral, m.DisableShadowHostSuffixAppend = spec.MirrorHost, true
		}
	}
}

// policyConfigs are the per-route configurations of the filters a policy needs, by filter name.
func policyConfigs(spec *model.RoutePolicySpec) map[string]proto.Message {
	out := map[string]proto.Message{}
	if len(spec.RateLimits) > 0 {
		out[filterRateLimit] = rateLimitConfig(spec.RateLimits, len(spec.RateLimitExempt) > 0)
		if len(spec.RateLimitExempt) > 0 {
			out[filterLimitExempt] = limitExemptConfig(spec.RateLimitExempt)
		}
	}
	if sr := spec.SourceRanges; sr != nil && (sr.DenyAll || len(sr.Allow) > 0 || len(sr.Deny) > 0) {
		out[filterRBAC] = &rbacv3.RBACPerRoute{Rbac: &rbacv3.RBAC{Rules: sourceRangeRules(sr)}}
	}
	if ba := spec.BasicAuth; ba != nil {
		users := string(ba.Htpasswd)
		if strings.TrimSpace(users) == "" {
			users = noUser
		}
		out[filterBasicAuth] = &basicauthv3.BasicAuthPerRoute{Users: inline(users), Realm: ba.Realm}
	}
	if ea := spec.ExtAuth; ea != nil {
		out[filterExtAuthz] = extAuthConfig(ea)
	}
	if spec.CustomErrors != nil {
		out[filterOriginalURI] = originalURIConfig()
	}
	return out
}

// customResponse is the custom_response configuration of a route: the sign-in redirect of its 401
// answers, then its custom errors (a 401 goes to the sign-in page when there is one); nil when its
// policy asks for neither.
func (b *builder) customResponse(p *routePolicy, r *istionet.HTTPRoute) *customresponsev3.CustomResponse {
	var matchers []*xdsmatcherv3.Matcher_MatcherList_FieldMatcher
	skip := uint32(0)
	if ea := p.spec.ExtAuth; ea != nil && ea.SigninURL != "" {
		matchers, skip = append(matchers, signinMatcher(ea)), 401
	}
	if ce := p.spec.CustomErrors; ce != nil {
		var dest *istionet.Destination
		if len(r.GetRoute()) > 0 {
			dest = r.Route[0].Destination
		}
		matchers = append(matchers, customErrorMatchers(p.errorPageKey, ce, dest, skip)...)
	}
	if len(matchers) == 0 {
		return nil
	}
	return customResponseConfig(matchers)
}

func inline(s string) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: s}}
}

// sourceRangeRules let through the clients (by the address of the connection's peer) that are outside
// Deny and, when there is an allow-list, inside Allow; Envoy answers the others 403.
func sourceRangeRules(sr *model.SourceRanges) *rbacconfigv3.RBAC {
	if sr.DenyAll {
		return &rbacconfigv3.RBAC{Action: rbacconfigv3.RBAC_DENY, Policies: map[string]*rbacconfigv3.Policy{
			"deny-all": {Permissions: []*rbacconfigv3.Permission{anyPermission()}, Principals: []*rbacconfigv3.Principal{{Identifier: &rbacconfigv3.Principal_Any{Any: true}}}},
		}}
	}
	var ids []*rbacconfigv3.Principal
	if len(sr.Allow) > 0 {
		ids = append(ids, inRanges(sr.Allow))
	}
	if len(sr.Deny) > 0 {
		ids = append(ids, &rbacconfigv3.Principal{Identifier: &rbacconfigv3.Principal_NotId{NotId: inRanges(sr.Deny)}})
	}
	return &rbacconfigv3.RBAC{Action: rbacconfigv3.RBAC_ALLOW, Policies: map[string]*rbacconfigv3.Policy{
		"source-ranges": {
			Permissions: []*rbacconfigv3.Permission{anyPermission()},
			Principals:  []*rbacconfigv3.Principal{{Identifier: &rbacconfigv3.Principal_AndIds{AndIds: &rbacconfigv3.Principal_Set{Ids: ids}}}},
		},
	}}
}

func anyPermission() *rbacconfigv3.Permission {
	return &rbacconfigv3.Permission{Rule: &rbacconfigv3.Permission_Any{Any: true}}
}

// inRanges matches a peer address in any of the prefixes (model.Validate checked that they parse).
func inRanges(prefixes []string) *rbacconfigv3.Principal {
	set := &rbacconfigv3.Principal_Set{}
	for _, s := range prefixes {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			continue
		}
		set.Ids = append(set.Ids, &rbacconfigv3.Principal{Identifier: &rbacconfigv3.Principal_DirectRemoteIp{DirectRemoteIp: &corev3.CidrRange{
			AddressPrefix: p.Addr().String(), PrefixLen: wrapperspb.UInt32(uint32(p.Bits())),
		}}})
	}
	return &rbacconfigv3.Principal{Identifier: &rbacconfigv3.Principal_OrIds{OrIds: set}}
}

// limitExemptPrefix prefixes the dynamic metadata keys of the limit_exempt filter; its result is in
// namespace rbacMetadata, "allowed" for an exempt client and "denied" for the others.
const (
	limitExemptPrefix = "limit_exempt_"
	limitExemptResult = limitExemptPrefix + "shadow_engine_result"
	rbacMetadata      = "envoy.filters.http.rbac"
)

// limitExemptConfig matches the clients (by the connection's peer address) in the exempt ranges with
// a shadow policy: nothing is refused, the result only keys the rate limit descriptors.
func limitExemptConfig(exempt []string) *rbacv3.RBACPerRoute {
	return &rbacv3.RBACPerRoute{Rbac: &rbacv3.RBAC{ShadowRulesStatPrefix: limitExemptPrefix, ShadowRules: &rbacconfigv3.RBAC{
		Action: rbacconfigv3.RBAC_ALLOW,
		Policies: map[string]*rbacconfigv3.Policy{
			"exempt": {Permissions: []*rbacconfigv3.Permission{anyPermission()}, Principals: []*rbacconfigv3.Principal{inRanges(exempt)}},
		},
	}}}
}

// rateLimitConfig gives each client address (the peer of the connection) a bucket per limit: one
// descriptor per limit, keyed by the limit's number and the address, whose value Envoy fills in per
// client (a dynamic descriptor). A limit that is not per client has one bucket, keyed by its number
// only. Envoy answers every limit of a route with one status: model validation holds them equal. With
// exempt ranges, each descriptor also needs the limit_exempt filter's "denied": an exempt client's
// descriptors match none, and its requests take the default bucket, which no client can empty.
func rateLimitConfig(limits []model.RateLimit, exempt bool) *localratelimitv3.LocalRateLimit {
	hundred := &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{Numerator: 100, Denominator: typev3.FractionalPercent_HUNDRED}}
	cfg := &localratelimitv3.LocalRateLimit{
		StatPrefix:     "route_rate_limit",
		Status:         &typev3.HttpStatus{Code: typev3.StatusCode(limits[0].StatusCode)},
		FilterEnabled:  hundred,
		FilterEnforced: hundred,
		// The default bucket is used only by a request no descriptor matches (none: every request has a
		// peer address); its one-second fill interval divides every limit's.
		TokenBucket:                     &typev3.TokenBucket{MaxTokens: 1 << 30, TokensPerFill: wrapperspb.UInt32(1 << 30), FillInterval: durationpb.New(time.Second)},
		AlwaysConsumeDefaultTokenBucket: wrapperspb.Bool(false),
		MaxDynamicDescriptors:           wrapperspb.UInt32(maxClientBuckets),
	}
	for i, l := range limits {
		key := fmt.Sprint(i)
		actions := []*routev3.RateLimit_Action{{ActionSpecifier: &routev3.RateLimit_Action_GenericKey_{GenericKey: &routev3.RateLimit_Action_GenericKey{DescriptorKey: "limit", DescriptorValue: key}}}}
		entries := []*ratelimitv3.RateLimitDescriptor_Entry{{Key: "limit", Value: key}}
		if l.PerClient {
			// A descriptor entry without a value makes a bucket per client address.
			actions = append(actions, &routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_RemoteAddress_{RemoteAddress: &routev3.RateLimit_Action_RemoteAddress{}}})
			entries = append(entries, &ratelimitv3.RateLimitDescriptor_Entry{Key: "remote_address"})
		}
		if exempt {
			actions = append(actions, exemptAction())
			entries = append(entries, &ratelimitv3.RateLimitDescriptor_Entry{Key: "exempt", Value: "denied"})
		}
		cfg.RateLimits = append(cfg.RateLimits, &routev3.RateLimit{Actions: actions})
		cfg.Descriptors = append(cfg.Descriptors, &ratelimitv3.LocalRateLimitDescriptor{Entries: entries, TokenBucket: tokenBucket(l)})
	}
	return cfg
}

// exemptAction reads the limit_exempt filter's result from the dynamic metadata.
func exemptAction() *routev3.RateLimit_Action {
	return &routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_Metadata{Metadata: &routev3.RateLimit_Action_MetaData{
		DescriptorKey: "exempt",
		MetadataKey:   &metadatav3.MetadataKey{Key: rbacMetadata, Path: []*metadatav3.MetadataKey_PathSegment{{Segment: &metadatav3.MetadataKey_PathSegment_Key{Key: limitExemptResult}}}},
		Source:        routev3.RateLimit_Action_MetaData_DYNAMIC,
	}}}
}

// tokenBucket holds a limit's burst and refills it at the limit's rate, in whole seconds: per second
// when the period divides the requests evenly, else all of them once per period.
func tokenBucket(l model.RateLimit) *typev3.TokenBucket {
	tokens, every := l.Requests, l.PeriodSeconds
	if l.Requests%l.PeriodSeconds == 0 {
		tokens, every = l.Requests/l.PeriodSeconds, 1
	}
	return &typev3.TokenBucket{MaxTokens: l.Burst, TokensPerFill: wrapperspb.UInt32(tokens), FillInterval: durationpb.New(time.Duration(every) * time.Second)}
}

// extAuthConfig sends a route's check requests to its auth service, through the auth hop (authhop.go)
// that turns a 2xx answer into the 200 ext_authz needs, and copies the listed headers of that answer to
// the upstream request.
func extAuthConfig(ea *model.ExtAuth) *extauthzv3.ExtAuthzPerRoute {
	svc := httpAuthService(fmt.Sprintf("%s:%d", ea.Host, ea.Port), authHopName, ea.Path)
	svc.AuthorizationRequest = &extauthzv3.AuthorizationRequest{HeadersToAdd: authRequestHeaders(ea)}
	if len(ea.ResponseHeaders) > 0 {
		upstream := &matcherv3.ListStringMatcher{}
		for _, h := range ea.ResponseHeaders {
			upstream.Patterns = append(upstream.Patterns, &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: h}, IgnoreCase: true})
		}
		svc.AuthorizationResponse = &extauthzv3.AuthorizationResponse{AllowedUpstreamHeaders: upstream}
	}
	return &extauthzv3.ExtAuthzPerRoute{Override: &extauthzv3.ExtAuthzPerRoute_CheckSettings{CheckSettings: &extauthzv3.CheckSettings{
		ServiceOverride: &extauthzv3.CheckSettings_HttpService{HttpService: svc},
	}}}
}

// authRequestHeaders are the headers ingress-nginx adds to its check requests (auth services such as
// oauth2-proxy read the original URL from them), with the request's values, then the hop's headers:
// ext_authz sets them over any header of the client with those names.
func authRequestHeaders(ea *model.ExtAuth) []*corev3.HeaderValue {
	redirect := "%REQ(:path)%"
	if ea.RequestRedirect != "" {
		// A literal % must not start a formatter.
		redirect = signinVariables.Replace(strings.ReplaceAll(ea.RequestRedirect, "%", "%%"))
	}
	return []*corev3.HeaderValue{
		{Key: "X-Original-URL", Value: originalURL},
		{Key: "X-Original-Method", Value: "%REQ(:method)%"},
		{Key: "X-Auth-Request-Redirect", Value: redirect},
		{Key: "X-Sent-From", Value: "nginx-ingress-controller"},
		{Key: authHopHeader, Value: clusterName(clusterRef{host: ea.Host, port: ea.Port})},
		{Key: authHopMethodHeader, Value: cmp.Or(ea.Method, "%REQ(:method)%")},
	}
}

func httpAuthService(authority, cluster, path string) *extauthzv3.HttpService {
	return &extauthzv3.HttpService{
		ServerUri: &corev3.HttpUri{
			Uri: "http://" + authority + path, HttpUpstreamType: &corev3.HttpUri_Cluster{Cluster: cluster}, Timeout: durationpb.New(extAuthTimeout),
		},
		PathOverride: path,
	}
}
