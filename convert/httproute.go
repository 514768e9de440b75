package convert

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	istionet "istio.io/api/networking/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// matchRank orders the matches of one host as the Gateway API specification does: an exact path first,
// then (an implementation choice, as in Istio) regular expressions, then the longest prefix; then a
// method match, then the most header matches, then the most query parameter matches.
type matchRank struct {
	kind    pathKind
	pathLen int
	method  bool
	headers int
	queries int
}

func compareRanks(a, b matchRank) int {
	return cmp.Or(
		cmp.Compare(a.kind, b.kind),
		-cmp.Compare(a.pathLen, b.pathLen),
		compareBool(b.method, a.method),
		-cmp.Compare(a.headers, b.headers),
		-cmp.Compare(a.queries, b.queries),
	)
}

// httpEntry is one match of one rule of an HTTPRoute or GRPCRoute, ready to be ordered within a host.
type httpEntry struct {
	rc          *routeCommon
	rule, match int
	rank        matchRank
	routes      []*istionet.HTTPRoute
	// listener and host say where the entry was filed (set by addHTTPEntries).
	listener *listenerInfo
	host     string
}

// ruleResult is what building the rules of a route found.
type ruleResult struct {
	entries []httpEntry
	refs    *refProblem // the first backend that does not resolve
	invalid *refProblem // the first rule that cannot be served
	usable  int         // rules that could be served
}

func (t *translator) translateHTTPRoute(r *gwapiv1.HTTPRoute, gateways map[nsName]*gatewayInfo) {
	rc := newRouteCommon("HTTPRoute", &r.ObjectMeta, r.Spec.ParentRefs, r.Spec.Hostnames)
	t.translateRules(rc, gateways, len(r.Spec.Rules), func(i int, refs **refProblem) ([]httpEntry, *refProblem) {
		return t.httpRuleEntries(rc, i, r.Spec.Rules[i], refs)
	})
}

// translateRules attaches an HTTPRoute or a GRPCRoute, builds its rules one by one (a rule that cannot
// be served is dropped and reported), writes its status and files its entries.
func (t *translator) translateRules(rc *routeCommon, gateways map[nsName]*gatewayInfo, rules int,
	build func(i int, refs **refProblem) ([]httpEntry, *refProblem),
) {
	parents := t.attachRoute(*rc, gateways)
	if len(parents) == 0 {
		return
	}
	var res ruleResult
	for i := range rules {
		entries, err := build(i, &res.refs)
		if err != nil {
			firstProblem(&res.invalid, err.reason, "rules[%d]: %s", i, err.message)
			continue
		}
		res.usable++
		res.entries = append(res.entries, entries...)
	}
	t.routeParentStatus(*rc, parents, res.refs, res.invalid, res.usable)
	t.recordBackendParents(*rc, parents, res.entries)
	t.addHTTPEntries(parents, res.entries)
}

// httpRuleEntries builds the entries of one HTTPRoute rule, one per match.
func (t *translator) httpRuleEntries(rc *routeCommon, ruleIdx int, rule gwapiv1.HTTPRouteRule, refs **refProblem) ([]httpEntry, *refProblem) {
	policy, fail, problem := t.rulePolicy(rc, rule.Filters, refs)
	if problem != nil {
		return nil, problem
	}
	base, rw, problem := t.httpRuleBase(rc, rule, refs)
	if problem != nil {
		return nil, problem
	}
	if fail {
		failRule(base)
	}
	matches := rule.Matches
	if len(matches) == 0 {
		matches = []gwapiv1.HTTPRouteMatch{{}}
	}
	var entries []httpEntry
	for mi, m := range matches {
		mr, pm, rank, err := httpMatchRequest(m)
		if err != nil {
			return nil, &refProblem{gwapiv1.RouteReasonUnsupportedValue, fmt.Sprintf("matches[%d]: %v", mi, err)}
		}
		if (rw.rewritePrefix != nil || rw.redirectPrefix != nil) && pm.kind != pathSegmentPrefix {
			return nil, &refProblem{gwapiv1.RouteReasonUnsupportedValue, fmt.Sprintf("matches[%d]: ReplacePrefixMatch needs a PathPrefix match", mi)}
		}
		route := proto.Clone(base).(*istionet.HTTPRoute)
		route.Name = fmt.Sprintf("%s/%s/rules[%d]/matches[%d]", rc.ref.Namespace, rc.ref.Name, ruleIdx, mi)
		route.Match = []*istionet.HTTPMatchRequest{mr}
		if policy != nil {
			t.policyRoutes[route.Name] = policy
		}
		entries = append(entries, httpEntry{rc: rc, rule: ruleIdx, match: mi, rank: rank, routes: expandPath(route, pm, rw)})
	}
	return entries, nil
}

// httpMatchRequest converts one HTTPRouteMatch, applying the API's defaults (PathPrefix "/", Exact).
func httpMatchRequest(m gwapiv1.HTTPRouteMatch) (*istionet.HTTPMatchRequest, pathMatch, matchRank, error) {
	mr := &istionet.HTTPMatchRequest{}
	pm := pathMatch{kind: pathSegmentPrefix, value: "/"}
	if m.Path != nil {
		if m.Path.Value != nil {
			pm.value = *m.Path.Value
		}
		typ := gwapiv1.PathMatchPathPrefix
		if m.Path.Type != nil {
			typ = *m.Path.Type
		}
		switch typ {
		case gwapiv1.PathMatchExact:
			pm.kind = pathExact
		case gwapiv1.PathMatchPathPrefix:
		case gwapiv1.PathMatchRegularExpression:
			pm.kind = pathRegex
			if _, err := regexp.Compile(pm.value); err != nil {
				return nil, pm, matchRank{}, fmt.Errorf("path regular expression %q: %w", pm.value, err)
			}
		default:
			return nil, pm, matchRank{}, fmt.Errorf("path match type %q is not supported", typ)
		}
		if pm.kind != pathRegex && !strings.HasPrefix(pm.value, "/") {
			return nil, pm, matchRank{}, fmt.Errorf("path %q does not start with /", pm.value)
		}
	}
	rank := matchRank{kind: pm.kind, pathLen: len(strings.TrimRight(pm.value, "/"))}
	for _, h := range m.Headers {
		if mr.Headers == nil {
			mr.Headers = map[string]*istionet.StringMatch{}
		}
		name := strings.ToLower(string(h.Name))
		if _, dup := mr.Headers[name]; dup {
			continue // the first of equivalent names wins
		}
		sm, err := stringMatch(h.Type != nil && *h.Type == gwapiv1.HeaderMatchRegularExpression, h.Value)
		if err != nil {
			return nil, pm, rank, fmt.Errorf("header %s: %w", h.Name, err)
		}
		mr.Headers[name] = sm
	}
	for _, q := range m.QueryParams {
		if mr.QueryParams == nil {
			mr.QueryParams = map[string]*istionet.StringMatch{}
		}
		if _, dup := mr.QueryParams[string(q.Name)]; dup {
			continue
		}
		sm, err := stringMatch(q.Type != nil && *q.Type == gwapiv1.QueryParamMatchRegularExpression, q.Value)
		if err != nil {
			return nil, pm, rank, fmt.Errorf("query parameter %s: %w", q.Name, err)
		}
		mr.QueryParams[string(q.Name)] = sm
	}
	if m.Method != nil {
		mr.Method = exactURI(string(*m.Method))
		rank.method = true
	}
	rank.headers, rank.queries = len(mr.Headers), len(mr.QueryParams)
	return mr, pm, rank, nil
}

func stringMatch(regex bool, v string) (*istionet.StringMatch, error) {
	if !regex {
		return exactURI(v), nil
	}
	if _, err := regexp.Compile(v); err != nil {
		return nil, fmt.Errorf("regular expression %q: %w", v, err)
	}
	return regexMatch(v), nil
}

// httpRuleBase builds everything of a rule but its matches: destinations, filters, timeouts, retries.
func (t *translator) httpRuleBase(rc *routeCommon, rule gwapiv1.HTTPRouteRule, refs **refProblem) (*istionet.HTTPRoute, pathRewrite, *refProblem) {
	route := &istionet.HTTPRoute{}
	var rw pathRewrite
	hasRewrite := false
	for _, f := range rule.Filters {
		if isRoutePolicyFilter(f) {
			continue // rulePolicy applies it
		}
		switch f.Type {
		case gwapiv1.HTTPRouteFilterRequestRedirect:
			if f.RequestRedirect == nil {
				return nil, rw, &refProblem{gwapiv1.RouteReasonUnsupportedValue, "RequestRedirect filter without requestRedirect"}
			}
			route.Redirect, rw.redirectPrefix = httpRedirect(f.RequestRedirect)
		case gwapiv1.HTTPRouteFilterURLRewrite:
			if f.URLRewrite == nil {
				return nil, rw, &refProblem{gwapiv1.RouteReasonUnsupportedValue, "URLRewrite filter without urlRewrite"}
			}
			hasRewrite = true
			route.Rewrite, rw.rewritePrefix = httpRewrite(f.URLRewrite)
		default:
			if problem := t.commonFilter(rc, route, f.Type, f.RequestHeaderModifier, f.ResponseHeaderModifier, f.RequestMirror, f.CORS, refs); problem != nil {
				return nil, rw, problem
			}
		}
	}
	if route.Redirect != nil && hasRewrite {
		return nil, rw, &refProblem{gwapiv1.RouteReasonIncompatibleFilters, "RequestRedirect and URLRewrite cannot be combined"}
	}
	if route.Redirect == nil {
		var backends []backendSpec
		for _, b := range rule.BackendRefs {
			backends = append(backends, backendSpec{ref: b.BackendRef, filters: b.Filters})
		}
		if problem := t.httpDestinations(rc, route, backends, refs); problem != nil {
			return nil, rw, problem
		}
	}
	if problem := applyTimeouts(route, rule.Timeouts, rule.Retry); problem != nil {
		return nil, rw, problem
	}
	if rule.SessionPersistence != nil {
		t.note(rc.ref, NoteWarning, "Unsupported", "sessionPersistence is not supported yet; requests are balanced without affinity")
	}
	return route, rw, nil
}

// commonFilter applies the filters HTTPRoute and GRPCRoute share. An unsupported filter makes the rule
// answer 500, as the specification asks (the filter must not be skipped silently).
func (t *translator) commonFilter(rc *routeCommon, route *istionet.HTTPRoute, typ gwapiv1.HTTPRouteFilterType,
	req, resp *gwapiv1.HTTPHeaderFilter, mirror *gwapiv1.HTTPRequestMirrorFilter, cors *gwapiv1.HTTPCORSFilter, refs **refProblem,
) *refProblem {
	switch typ {
	case gwapiv1.HTTPRouteFilterRequestHeaderModifier:
		route.Headers = withHeaders(route.Headers, req, true)
	case gwapiv1.HTTPRouteFilterResponseHeaderModifier:
		route.Headers = withHeaders(route.Headers, resp, false)
	case gwapiv1.HTTPRouteFilterRequestMirror:
		if mirror == nil {
			return &refProblem{gwapiv1.RouteReasonUnsupportedValue, "RequestMirror filter without requestMirror"}
		}
		dest, problem := t.resolveBackend(rc.ref.Kind, rc.ref.Namespace, mirror.BackendRef)
		if problem != nil {
			firstProblem(refs, problem.reason, "mirror: %s", problem.message)
			return nil
		}
		m := &istionet.HTTPMirrorPolicy{Destination: dest}
		if p := mirrorPercent(mirror); p != nil {
			m.Percentage = &istionet.Percent{Value: *p}
		}
		route.Mirrors = append(route.Mirrors, m)
	case gwapiv1.HTTPRouteFilterCORS:
		if cors == nil {
			return &refProblem{gwapiv1.RouteReasonUnsupportedValue, "CORS filter without cors"}
		}
		route.CorsPolicy = corsPolicy(cors)
	case gwapiv1.HTTPRouteFilterExtensionRef:
		// An extension gatebridge does not know must not be skipped: the rule answers 500 instead.
		firstProblem(refs, gwapiv1.RouteReasonInvalidKind, "ExtensionRef filters are not supported; requests of the rule get %d", ruleFailStatus(rc))
		route.DirectResponse = &istionet.HTTPDirectResponse{Status: 500}
	default:
		return &refProblem{gwapiv1.RouteReasonUnsupportedValue, fmt.Sprintf("filter %s is not supported", typ)}
	}
	return nil
}

func withHeaders(h *istionet.Headers, f *gwapiv1.HTTPHeaderFilter, request bool) *istionet.Headers {
	if f == nil {
		return h
	}
	if h == nil {
		h = &istionet.Headers{}
	}
	ops := &istionet.Headers_HeaderOperations{}
	for _, s := range f.Set {
		if ops.Set == nil {
			ops.Set = map[string]string{}
		}
		ops.Set[string(s.Name)] = s.Value
	}
	for _, a := range f.Add {
		if ops.Add == nil {
			ops.Add = map[string]string{}
		}
		ops.Add[string(a.Name)] = a.Value
	}
	ops.Remove = append(ops.Remove, f.Remove...)
	if request {
		h.Request = ops
	} else {
		h.Response = ops
	}
	return h
}

func mirrorPercent(m *gwapiv1.HTTPRequestMirrorFilter) *float64 {
	switch {
	case m.Percent != nil:
		v := float64(*m.Percent)
		return &v
	case m.Fraction != nil:
		den := int32(100)
		if m.Fraction.Denominator != nil && *m.Fraction.Denominator > 0 {
			den = *m.Fraction.Denominator
		}
		v := float64(m.Fraction.Numerator) * 100 / float64(den)
		return &v
	}
	return nil
}

// corsPolicy converts a CORS filter. The gateway answers every preflight itself: one from an origin not
// allowed gets no CORS headers, and is not forwarded to the backend.
func corsPolicy(c *gwapiv1.HTTPCORSFilter) *istionet.CorsPolicy {
	p := &istionet.CorsPolicy{UnmatchedPreflights: istionet.CorsPolicy_IGNORE}
	for _, o := range c.AllowOrigins {
		s := string(o)
		if strings.Contains(s, "*") {
			p.AllowOrigins = append(p.AllowOrigins, regexMatch(strings.ReplaceAll(regexp.QuoteMeta(s), `\*`, `.*`)))
		} else {
			p.AllowOrigins = append(p.AllowOrigins, exactURI(s))
		}
	}
	for _, m := range c.AllowMethods {
		p.AllowMethods = append(p.AllowMethods, string(m))
	}
	for _, h := range c.AllowHeaders {
		p.AllowHeaders = append(p.AllowHeaders, string(h))
	}
	for _, h := range c.ExposeHeaders {
		p.ExposeHeaders = append(p.ExposeHeaders, string(h))
	}
	if c.MaxAge > 0 {
		p.MaxAge = durationpb.New(time.Duration(c.MaxAge) * time.Second)
	}
	if c.AllowCredentials != nil {
		p.AllowCredentials = wrapperspb.Bool(*c.AllowCredentials)
	}
	return p
}

// httpRedirect converts a RequestRedirect. Without a port, the port is the scheme's well-known one when
// the scheme changes, and the request's (the listener's) otherwise, as the specification says.
func httpRedirect(f *gwapiv1.HTTPRequestRedirectFilter) (*istionet.HTTPRedirect, *string) {
	r := &istionet.HTTPRedirect{RedirectCode: 302}
	if f.StatusCode != nil {
		r.RedirectCode = uint32(*f.StatusCode)
	}
	if f.Scheme != nil {
		r.Scheme = *f.Scheme
	}
	if f.Hostname != nil {
		r.Authority = string(*f.Hostname)
	}
	switch {
	case f.Port != nil:
		r.RedirectPort = &istionet.HTTPRedirect_Port{Port: uint32(*f.Port)}
	case f.Scheme != nil:
		r.RedirectPort = &istionet.HTTPRedirect_DerivePort{DerivePort: istionet.HTTPRedirect_FROM_PROTOCOL_DEFAULT}
	default:
		r.RedirectPort = &istionet.HTTPRedirect_DerivePort{DerivePort: istionet.HTTPRedirect_FROM_REQUEST_PORT}
	}
	var prefix *string
	if f.Path != nil {
		switch f.Path.Type {
		case gwapiv1.FullPathHTTPPathModifier:
			if f.Path.ReplaceFullPath != nil {
				r.Uri = *f.Path.ReplaceFullPath
			}
		case gwapiv1.PrefixMatchHTTPPathModifier:
			prefix = cmp.Or(f.Path.ReplacePrefixMatch, new(string))
		}
	}
	return r, prefix
}

// fullPathRegex matches a whole path: a full-path rewrite is a regex rewrite of it, which keeps the query.
const fullPathRegex = "^/.*$"

func httpRewrite(f *gwapiv1.HTTPURLRewriteFilter) (*istionet.HTTPRewrite, *string) {
	r := &istionet.HTTPRewrite{}
	if f.Hostname != nil {
		r.Authority = string(*f.Hostname)
	}
	var prefix *string
	if f.Path != nil {
		switch f.Path.Type {
		case gwapiv1.FullPathHTTPPathModifier:
			if f.Path.ReplaceFullPath != nil {
				r.UriRegexRewrite = &istionet.RegexRewrite{Match: fullPathRegex, Rewrite: *f.Path.ReplaceFullPath}
			}
		case gwapiv1.PrefixMatchHTTPPathModifier:
			prefix = cmp.Or(f.Path.ReplacePrefixMatch, new(string))
		}
	}
	return r, prefix
}

// backendSpec is a backendRef of an HTTPRoute or a GRPCRoute.
type backendSpec struct {
	ref     gwapiv1.BackendRef
	filters []gwapiv1.HTTPRouteFilter
}

// httpDestinations sets the weighted destinations of a rule. A backend that does not resolve keeps its
// weight and points at model.UnresolvedBackendHost (its share gets 500); a rule with no usable backend
// answers 500 as a whole.
func (t *translator) httpDestinations(rc *routeCommon, route *istionet.HTTPRoute, backends []backendSpec, refs **refProblem) *refProblem {
	if route.DirectResponse != nil {
		return nil
	}
	resolved := 0
	for _, b := range backends {
		w := weightOf(b.ref.Weight)
		dest, problem := t.resolveBackend(rc.ref.Kind, rc.ref.Namespace, b.ref.BackendObjectReference)
		if problem != nil {
			firstProblem(refs, problem.reason, "%s", problem.message)
			dest = unresolvedDestination()
		}
		if w == 0 {
			continue
		}
		d := &istionet.HTTPRouteDestination{Destination: dest, Weight: w}
		for _, f := range b.filters {
			switch f.Type {
			case gwapiv1.HTTPRouteFilterRequestHeaderModifier:
				d.Headers = withHeaders(d.Headers, f.RequestHeaderModifier, true)
			case gwapiv1.HTTPRouteFilterResponseHeaderModifier:
				d.Headers = withHeaders(d.Headers, f.ResponseHeaderModifier, false)
			default:
				return &refProblem{gwapiv1.RouteReasonUnsupportedValue, fmt.Sprintf("backendRef filter %s is not supported", f.Type)}
			}
		}
		if problem == nil {
			resolved++
		}
		route.Route = append(route.Route, d)
	}
	if resolved == 0 {
		route.Route = nil
		route.DirectResponse = &istionet.HTTPDirectResponse{Status: 500}
		return nil
	}
	if len(route.Route) == 1 {
		route.Route[0].Weight = 0
	}
	return nil
}

// applyTimeouts sets the request timeout and the retry policy. Without retries, a backendRequest timeout
// is the timeout of the one upstream try, so the route timeout is the smaller of the two.
func applyTimeouts(route *istionet.HTTPRoute, to *gwapiv1.HTTPRouteTimeouts, retry *gwapiv1.HTTPRouteRetry) *refProblem {
	var request, backend *durationpb.Duration
	if to != nil {
		var err error
		if request, err = parseDuration(to.Request); err != nil {
			return &refProblem{gwapiv1.RouteReasonUnsupportedValue, "timeouts.request: " + err.Error()}
		}
		if backend, err = parseDuration(to.BackendRequest); err != nil {
			return &refProblem{gwapiv1.RouteReasonUnsupportedValue, "timeouts.backendRequest: " + err.Error()}
		}
	}
	route.Timeout = request
	if retry == nil {
		if backend != nil && backend.AsDuration() > 0 && (request == nil || request.AsDuration() == 0 || backend.AsDuration() < request.AsDuration()) {
			route.Timeout = backend
		}
		return nil
	}
	if backend != nil && backend.AsDuration() == 0 {
		backend = nil
	}
	r := &istionet.HTTPRetry{Attempts: 2, PerTryTimeout: backend, RetryOn: retryOnConnectionErrors + ",5xx"}
	if retry.Attempts != nil {
		r.Attempts = int32(*retry.Attempts)
	}
	if len(retry.Codes) > 0 {
		codes := make([]string, 0, len(retry.Codes))
		for _, c := range retry.Codes {
			codes = append(codes, fmt.Sprint(c))
		}
		r.RetryOn = retryOnConnectionErrors + "," + strings.Join(codes, ",")
	}
	var err error
	if r.Backoff, err = parseDuration(retry.Backoff); err != nil {
		return &refProblem{gwapiv1.RouteReasonUnsupportedValue, "retry.backoff: " + err.Error()}
	}
	route.Retries = r
	return nil
}

// retryOnConnectionErrors are retried whatever the codes: the specification asks for retries on
// connection failures and resets.
const retryOnConnectionErrors = "connect-failure,refused-stream,reset"

func parseDuration(d *gwapiv1.Duration) (*durationpb.Duration, error) {
	if d == nil {
		return nil, nil
	}
	v, err := time.ParseDuration(string(*d))
	if err != nil {
		return nil, err
	}
	if v < 0 {
		return nil, fmt.Errorf("negative duration %s", *d)
	}
	return durationpb.New(v), nil
}
