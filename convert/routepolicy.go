package convert

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	istionet "istio.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/annotations"
	gbv1alpha1 "github.com/gatebridge/gatebridge/api/v1alpha1"
	"github.com/gatebridge/gatebridge/model"
)

// ReasonInvalidRoutePolicy is the reason of the note on a RoutePolicy that cannot be served.
const ReasonInvalidRoutePolicy = "InvalidRoutePolicy"

// resolvedPolicy is a RoutePolicy of the input, translated once for every rule that names it.
type resolvedPolicy struct {
	ref  ObjectRef
	spec model.RoutePolicySpec
	// invalid says why the policy cannot be served: the rules naming it answer 500.
	invalid string
	// refs is a reference of the policy that does not resolve; the policy is served failing closed
	// (401 without usable users, 500 without an auth service).
	refs *refProblem
}

// isRoutePolicyFilter reports whether a filter is an ExtensionRef to a gatebridge RoutePolicy.
func isRoutePolicyFilter(f gwapiv1.HTTPRouteFilter) bool {
	r := f.ExtensionRef
	return f.Type == gwapiv1.HTTPRouteFilterExtensionRef && r != nil &&
		string(r.Group) == gbv1alpha1.GroupName && string(r.Kind) == gbv1alpha1.RoutePolicyKind
}

// rulePolicy finds the RoutePolicy an HTTPRoute rule names. A policy that is missing or invalid makes
// the rule answer 500 (fail) and the route's ResolvedRefs False; problem makes the rule unusable.
func (t *translator) rulePolicy(rc *routeCommon, filters []gwapiv1.HTTPRouteFilter, refs **refProblem) (p *resolvedPolicy, fail bool, problem *refProblem) {
	name := ""
	for _, f := range filters {
		if !isRoutePolicyFilter(f) {
			continue
		}
		if name != "" && name != string(f.ExtensionRef.Name) {
			return nil, false, &refProblem{gwapiv1.RouteReasonIncompatibleFilters, "a rule names at most one RoutePolicy"}
		}
		name = string(f.ExtensionRef.Name)
	}
	if name == "" {
		return nil, false, nil
	}
	ns := rc.ref.Namespace
	p = t.routePolicy(ns, name)
	switch {
	case p == nil:
		firstProblem(refs, gwapiv1.RouteReasonBackendNotFound, "RoutePolicy %s/%s not found; requests of the rule get %d", ns, name, ruleFailStatus(rc))
		return nil, true, nil
	case p.invalid != "":
		firstProblem(refs, gwapiv1.RouteReasonUnsupportedValue, "RoutePolicy %s/%s is invalid (%s); requests of the rule get %d", ns, name, p.invalid, ruleFailStatus(rc))
		return nil, true, nil
	case p.refs != nil:
		firstProblem(refs, p.refs.reason, "RoutePolicy %s/%s: %s", ns, name, p.refs.message)
	}
	return p, false, nil
}

// ruleFailStatus is what a rule that cannot be served answers: 500, and 503 on a GRPCRoute (gRPC
// clients read it as UNAVAILABLE, which the specification asks for).
func ruleFailStatus(rc *routeCommon) int {
	if rc.ref.Kind == "GRPCRoute" {
		return 503
	}
	return 500
}

// failRule makes a route answer 500 whatever its other filters and backends ask.
func failRule(route *istionet.HTTPRoute) {
	route.Route, route.Redirect, route.Rewrite, route.Mirrors = nil, nil, nil, nil
	route.DirectResponse = &istionet.HTTPDirectResponse{Status: 500}
}

// routePolicy returns the translated RoutePolicy namespace/name of the input, nil if there is none.
func (t *translator) routePolicy(namespace, name string) *resolvedPolicy {
	key := nsName{namespace, name}
	if p, ok := t.policies[key]; ok {
		return p
	}
	var p *resolvedPolicy
	for i := range t.in.RoutePolicies {
		if rp := &t.in.RoutePolicies[i]; rp.Namespace == namespace && rp.Name == name {
			p = t.resolvePolicy(rp)
			break
		}
	}
	t.policies[key] = p
	return p
}

// resolvePolicy translates a RoutePolicy: values the schema refuses make it invalid; its basic-auth
// Secret and auth Service are resolved.
func (t *translator) resolvePolicy(rp *gbv1alpha1.RoutePolicy) *resolvedPolicy {
	p := &resolvedPolicy{ref: ObjectRef{Kind: gbv1alpha1.RoutePolicyKind, Namespace: rp.Namespace, Name: rp.Name}}
	spec, problems := policySpec(&rp.Spec)
	if len(problems) > 0 {
		p.invalid = strings.Join(problems, "; ")
		t.note(p.ref, NoteWarning, ReasonInvalidRoutePolicy, "%s; the rules naming it answer 500", p.invalid)
		return p
	}
	p.spec = spec
	if ba := rp.Spec.BasicAuth; ba != nil {
		p.spec.BasicAuth = t.policyBasicAuth(p, ba)
	}
	if ea := rp.Spec.ExtAuth; ea != nil {
		p.spec.ExtAuth = t.policyExtAuth(p, ea)
	}
	if ce := rp.Spec.CustomErrors; ce != nil {
		p.spec.CustomErrors = t.policyCustomErrors(p, ce)
	}
	return p
}

// policySpec translates what a RoutePolicy asks but its references, applying the defaults, and lists
// the values that cannot be served (the CRD's schema refuses them; manifest files are not checked).
func policySpec(s *gbv1alpha1.RoutePolicySpec) (model.RoutePolicySpec, []string) {
	var out model.RoutePolicySpec
	var problems []string
	if sr := s.SourceRanges; sr != nil {
		out.SourceRanges = &model.SourceRanges{DenyAll: sr.DenyAll}
		out.SourceRanges.Allow, problems = policyPrefixes("sourceRanges.allow", sr.Allow, problems)
		out.SourceRanges.Deny, problems = policyPrefixes("sourceRanges.deny", sr.Deny, problems)
	}
	for i, rl := range s.RateLimits {
		burst, status := cmp.Or(rl.Burst, rl.Requests), cmp.Or(rl.StatusCode, gbv1alpha1.DefaultRateLimitStatus)
		if rl.Requests <= 0 || rl.PeriodSeconds <= 0 || burst <= 0 || status < 400 || status > 599 {
			problems = append(problems, fmt.Sprintf("rateLimits[%d]: requests, periodSeconds and burst must be positive, statusCode within 400-599", i))
			continue
		}
		out.RateLimits = append(out.RateLimits, model.RateLimit{
			Requests: uint32(rl.Requests), PeriodSeconds: uint32(rl.PeriodSeconds), Burst: uint32(burst),
			PerClient: ptr.Deref(rl.PerClient, true), StatusCode: uint32(status),
		})
	}
	out.RateLimitExempt, problems = policyPrefixes("rateLimitExempt", s.RateLimitExempt, problems)
	for _, rl := range out.RateLimits {
		if rl.StatusCode != out.RateLimits[0].StatusCode {
			problems = append(problems, "rateLimits: every limit must answer the same statusCode")
			break
		}
	}
	if ea := s.ExtAuth; ea != nil {
		out.ExtAuth, problems = policyExtAuthSpec(ea, problems)
	}
	if ce := s.CustomErrors; ce != nil && (len(ce.Codes) == 0 || slices.ContainsFunc(ce.Codes, func(c int32) bool { return c < 400 || c > 599 }) ||
		ce.BackendRef.Name == "" || ce.BackendRef.Port < 1 || ce.BackendRef.Port > 65535) {
		problems = append(problems, "customErrors: codes within 400-599 and a backendRef with a name and a port are required")
	}
	if ba := s.BasicAuth; ba != nil && ba.SecretName == "" {
		problems = append(problems, "basicAuth: secretName is required")
	}
	if s.MaxRequestBodyBytes < 0 || s.IdleTimeoutSeconds < 0 {
		problems = append(problems, "maxRequestBodyBytes and idleTimeoutSeconds must not be negative")
	}
	out.MaxRequestBodyBytes, out.IdleTimeoutSeconds = uint64(max(s.MaxRequestBodyBytes, 0)), uint32(max(s.IdleTimeoutSeconds, 0))
	if s.MirrorHost != "" && len(validation.IsDNS1123Subdomain(strings.ToLower(s.MirrorHost))) > 0 {
		problems = append(problems, fmt.Sprintf("mirrorHost %q is not a host name", s.MirrorHost))
	}
	out.MirrorHost = s.MirrorHost
	return out, problems
}

// signinParamPattern is what the CRD's schema lets signinParam hold: a query parameter name that needs
// no percent-encoding.
var signinParamPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)

// policyExtAuthSpec translates an extAuth but its Service (resolved later): the path, the headers copied,
// and the sign-in redirect of a 401, whose URL follows the rules of ingress-nginx's auth-signin.
func policyExtAuthSpec(ea *gbv1alpha1.ExtAuth, problems []string) (*model.ExtAuth, []string) {
	if !strings.HasPrefix(ea.Path, "/") || ea.BackendRef.Name == "" || ea.BackendRef.Port < 1 || ea.BackendRef.Port > 65535 {
		problems = append(problems, "extAuth: a backendRef with a name and a port, and a path starting with /, are required")
	}
	out := &model.ExtAuth{Host: model.UnresolvedBackendHost, Port: uint32(max(ea.BackendRef.Port, 0)), Path: ea.Path, ResponseHeaders: ea.ResponseHeaders}
	if ea.Method != "" && !slices.Contains(model.AuthMethods, ea.Method) {
		problems = append(problems, fmt.Sprintf("extAuth.method %q is not one of %s", ea.Method, strings.Join(model.AuthMethods, ", ")))
	} else {
		out.Method = ea.Method
	}
	if ea.RequestRedirect != "" {
		if err := annotations.CheckRequestRedirect(ea.RequestRedirect); err != nil {
			problems = append(problems, fmt.Sprintf("extAuth.requestRedirect: %v", err))
		} else {
			out.RequestRedirect = ea.RequestRedirect
		}
	}
	switch {
	case ea.SigninURL != "":
		u, err := annotations.ParseSigninURL(ea.SigninURL)
		if err != nil {
			return out, append(problems, fmt.Sprintf("extAuth.signinURL: %v", err))
		}
		out.SigninURL, out.SigninParam = u.String(), cmp.Or(ea.SigninParam, gbv1alpha1.DefaultSigninParam)
		if !signinParamPattern.MatchString(out.SigninParam) {
			problems = append(problems, fmt.Sprintf("extAuth.signinParam %q is not a query parameter name (letters, digits, . _ ~ -)", ea.SigninParam))
		}
	case ea.SigninParam != "":
		problems = append(problems, "extAuth.signinParam needs a signinURL")
	}
	return out, problems
}

// policyPrefixes reads CIDR prefixes, a single address standing for its own prefix.
func policyPrefixes(field string, in []string, problems []string) ([]string, []string) {
	var out []string
	for i, s := range in {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.String())
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()).String())
		} else {
			problems = append(problems, fmt.Sprintf("%s[%d] %q is neither a CIDR prefix nor an address", field, i, s))
		}
	}
	return out, problems
}

// policyBasicAuth reads the users of a RoutePolicy's basic-auth Secret, of its namespace. A missing
// Secret keeps authentication asked: every request gets 401.
func (t *translator) policyBasicAuth(p *resolvedPolicy, ba *gbv1alpha1.BasicAuth) *model.BasicAuth {
	out := &model.BasicAuth{Realm: ba.Realm, Secret: p.ref.Namespace + "/" + ba.SecretName}
	secret := t.findSecret(p.ref.Namespace, ba.SecretName)
	if secret == nil {
		msg := fmt.Sprintf("basicAuth Secret %s not found; every request gets 401", out.Secret)
		t.note(p.ref, NoteWarning, ReasonSecretNotFound, "%s", msg)
		firstProblem(&p.refs, gwapiv1.RouteReasonBackendNotFound, "%s", msg)
		return out
	}
	t.basicAuthUsers(p.ref, "basicAuth Secret", out, secret, "")
	return out
}

// policyExtAuth resolves the auth Service of a RoutePolicy. One that does not resolve (missing, no
// such port, another namespace without a ReferenceGrant) keeps authentication asked: requests get 500.
func (t *translator) policyExtAuth(p *resolvedPolicy, ea *gbv1alpha1.ExtAuth) *model.ExtAuth {
	out := p.spec.ExtAuth
	if host, ok := t.policyService(p, ea.BackendRef, "extAuth", "requests get 500"); ok {
		out.Host = host
	}
	return out
}

// policyService resolves a Service a RoutePolicy names in its field: its host, or a Warning and the
// route's ResolvedRefs problem, which say what then happens (consequence).
func (t *translator) policyService(p *resolvedPolicy, sr gbv1alpha1.ServiceRef, field, consequence string) (string, bool) {
	ref := gwapiv1.BackendObjectReference{
		Name: gwapiv1.ObjectName(sr.Name), Port: ptr.To(gwapiv1.PortNumber(sr.Port)),
		Namespace: (*gwapiv1.Namespace)(sr.Namespace),
	}
	dest, problem := t.resolveService(gbv1alpha1.GroupName, gbv1alpha1.RoutePolicyKind, p.ref.Namespace, ref)
	if problem != nil {
		msg := fmt.Sprintf("%s: %s; %s", field, problem.message, consequence)
		t.note(p.ref, NoteWarning, string(problem.reason), "%s", msg)
		firstProblem(&p.refs, problem.reason, "%s", msg)
		return "", false
	}
	return dest.Host, true
}

// policyCustomErrors resolves the error backend of a RoutePolicy. One that does not resolve leaves the
// error answers as they are (the rule is served, ResolvedRefs is False).
func (t *translator) policyCustomErrors(p *resolvedPolicy, ce *gbv1alpha1.CustomErrors) *model.CustomErrors {
	host, ok := t.policyService(p, ce.BackendRef, "customErrors", "error answers are left as they are")
	if !ok {
		return nil
	}
	var codes []uint32
	for _, c := range ce.Codes {
		codes = append(codes, uint32(c))
	}
	slices.Sort(codes)
	return &model.CustomErrors{Codes: slices.Compact(codes), Host: host, Port: uint32(ce.BackendRef.Port),
		Headers: map[string]string{"X-Namespace": p.ref.Namespace}}
}

// addGatewayPolicies gives each Gateway fleet a route policy per RoutePolicy its HTTP routes apply,
// on those routes. It runs once the fleets' VirtualServices are built.
func (t *translator) addGatewayPolicies() {
	type key struct {
		fleet, gwNamespace, gw string
		policy                 *resolvedPolicy
	}
	groups := map[key]map[string]bool{}
	for _, vs := range t.result.Snapshot.VirtualServices {
		if vs.Origin != model.OriginGatewayAPI || len(vs.Spec.Gateways) == 0 {
			continue
		}
		gwNS, gw, _ := strings.Cut(vs.Spec.Gateways[0], "/")
		for _, r := range vs.Spec.Http {
			if p, ok := t.policyRoutes[r.Name]; ok {
				k := key{vs.Fleet, gwNS, gw, p}
				if groups[k] == nil {
					groups[k] = map[string]bool{}
				}
				groups[k][r.Name] = true
			}
		}
	}
	for k, routes := range groups {
		t.result.Snapshot.RoutePolicies = append(t.result.Snapshot.RoutePolicies, model.RoutePolicy{
			Meta: model.Meta{
				Name: k.gw + "." + k.policy.ref.Namespace + "." + k.policy.ref.Name, Namespace: k.gwNamespace,
				Fleet: k.fleet, Origin: model.OriginGatewayAPI, Sources: []string{k.policy.ref.String()},
			},
			Routes: slices.Sorted(maps.Keys(routes)),
			Spec:   k.policy.spec,
		})
	}
}
