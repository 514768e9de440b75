package migrate

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/annotations"
	gbv1alpha1 "github.com/gatebridge/gatebridge/api/v1alpha1"
	"github.com/gatebridge/gatebridge/convert"
)

// limitStatus is what ingress-nginx answers a client over its rate (limit-req-status-code's default).
const limitStatus = 503

// policyKeys are the ingress-nginx keys a RoutePolicy carries over.
var policyKeys = []string{"whitelist-source-range", "allowlist-source-range", "denylist-source-range", "limit-rps", "limit-rpm",
	"limit-burst-multiplier", "limit-allowlist", "limit-whitelist", "auth-type", "auth-secret", "auth-secret-type", "auth-realm", "auth-url", "auth-response-headers",
	"auth-signin", "auth-signin-redirect-param", "auth-method", "auth-request-redirect",
	"proxy-body-size", "proxy-read-timeout", "proxy-send-timeout"}

// mapPolicy carries the policy annotations of an Ingress (source ranges, rate limits, basic and external
// auth, body size, idle timeout) over to a gatebridge RoutePolicy named after the Ingress, which every
// rule of its routes names in an ExtensionRef filter; redirects come before the policy, as in nginx.
func (b *gwBuilder) mapPolicy(p *ingressPlan, done reporter) {
	pol := p.settings.Policy
	if pol.RefuseAll {
		b.refuseAuth(p, done)
		return
	}
	if pol.IsZero() && p.mirrorHost == "" {
		b.reportPolicyKeys(p, "", done)
		return
	}
	spec := gbv1alpha1.RoutePolicySpec{MaxRequestBodyBytes: int64(pol.MaxBodyBytes), IdleTimeoutSeconds: int32(pol.IdleTimeoutSeconds), MirrorHost: p.mirrorHost}
	if sr := pol.SourceRanges; sr != nil {
		spec.SourceRanges = &gbv1alpha1.SourceRanges{Allow: sr.Allow, Deny: sr.Deny, DenyAll: sr.Allow != nil && len(sr.Allow) == 0}
	}
	if rl := pol.RateLimit; rl != nil {
		for _, r := range []struct{ requests, period uint32 }{{rl.PerSecond, 1}, {rl.PerMinute, 60}} {
			if r.requests > 0 {
				spec.RateLimits = append(spec.RateLimits, gbv1alpha1.RateLimit{Requests: int32(r.requests), PeriodSeconds: int32(r.period),
					Burst: int32(r.requests * rl.BurstMultiplier), StatusCode: limitStatus})
			}
		}
		spec.RateLimitExempt = rl.Allowlist
	}
	if ba := pol.BasicAuth; ba != nil && !b.policyBasicAuth(p, ba, &spec, done) {
		return
	}
	if ea := pol.ExtAuth; ea != nil && !b.policyExtAuth(p, ea, &spec, done) {
		return
	}
	b.policyCustomErrors(p, pol.CustomErrors, &spec, done)
	if reflect.ValueOf(spec).IsZero() {
		b.reportPolicyKeys(p, "", done)
		return
	}
	b.addRoutePolicy(p, spec)
	if pol.IsZero() {
		b.reportPolicyKeys(p, "", done)
		return
	}
	b.reportPolicyKeys(p, p.ing.Name, done)
}

// policyCustomErrors sends the codes of custom-http-errors to the first port of the default-backend
// Service in the RoutePolicy. Only the error request's X-Ingress-Name is missing: a RoutePolicy does not
// know the route that names it.
func (b *gwBuilder) policyCustomErrors(p *ingressPlan, ce *annotations.CustomErrors, spec *gbv1alpha1.RoutePolicySpec, done reporter) {
	if ce == nil {
		return
	}
	svc := b.services[nsName{p.ing.Namespace, ce.Backend}]
	if svc == nil || len(svc.Spec.Ports) == 0 {
		done(Lost, "the default-backend Service %s (or a port of it) is not in the input: Gateway API needs a port; add customErrors to the RoutePolicy by hand", []any{ce.Backend}, "custom-http-errors")
		return
	}
	spec.CustomErrors = &gbv1alpha1.CustomErrors{BackendRef: gbv1alpha1.ServiceRef{Name: ce.Backend, Port: svc.Spec.Ports[0].Port}}
	for _, c := range ce.Codes {
		spec.CustomErrors.Codes = append(spec.CustomErrors.Codes, int32(c))
	}
	msg := "RoutePolicy %s: customErrors to %s:%d; the error backend gets every header gatebridge sends for the Ingress except X-Ingress-Name (X-Namespace is the RoutePolicy's)"
	if i := slices.IndexFunc(p.findings, func(f annotations.Finding) bool { return f.Key == np+"custom-http-errors" }); i >= 0 {
		msg += "; " + p.findings[i].Message
	}
	done(Approximated, msg, []any{p.ing.Name, ce.Backend, svc.Spec.Ports[0].Port}, "custom-http-errors")
}

// policyBasicAuth names the Ingress's auth-secret in the RoutePolicy. The Secret stays where it is: a
// RoutePolicy reads a Secret of its own namespace, as an Ingress does.
func (b *gwBuilder) policyBasicAuth(p *ingressPlan, ba *annotations.BasicAuth, spec *gbv1alpha1.RoutePolicySpec, done reporter) bool {
	if ba.SecretNamespace != "" && ba.SecretNamespace != p.ing.Namespace {
		b.refusePolicy(p, done, "auth-secret", fmt.Sprintf("auth-secret %s/%s is in another namespace, which gatebridge refuses for Ingresses (every request 401) and a RoutePolicy cannot name",
			ba.SecretNamespace, ba.SecretName))
		return false
	}
	spec.BasicAuth = &gbv1alpha1.BasicAuth{SecretName: ba.SecretName, Realm: ba.Realm}
	if ba.SecretType == annotations.AuthMap {
		b.action("Secret %s/%s (auth-secret of %s): a RoutePolicy reads htpasswd lines in the key %q; rewrite the auth-map (one key per user) as those lines, or every request gets 401",
			p.ing.Namespace, ba.SecretName, p.ref, gbv1alpha1.BasicAuthSecretKey)
	}
	return true
}

// policyExtAuth points the RoutePolicy at the Service the auth-url names (<service>.<namespace>[.svc[.cluster.local]],
// port 80 unless given), with a ReferenceGrant when the Service is in another namespace.
func (b *gwBuilder) policyExtAuth(p *ingressPlan, ea *annotations.ExtAuth, spec *gbv1alpha1.RoutePolicySpec, done reporter) bool {
	name, ns, ok := clusterService(ea.URL.Hostname())
	port := 80
	if s := ea.URL.Port(); s != "" {
		n, err := strconv.Atoi(s)
		ok = ok && err == nil && n > 0 && n < 65536
		port = n
	}
	if !ok && sameHostAuthURL(p, ea) {
		auth, resolved := b.resolveSameHostAuth(p)
		if !resolved {
			b.refusePolicy(p, done, "auth-url", fmt.Sprintf("the auth-url %s names a path of the request's own host (oauth2-proxy's setup), whose backend gatebridge cannot resolve "+
				"(it answers 500 for the Ingress: %s)", ea.URL.Redacted(), auth.note))
			return false
		}
		name, ns, port, ok = auth.service, auth.namespace, int(auth.port), true
		p.authURLNote = fmt.Sprintf("extAuth to Service %s/%s port %d, the backend gatebridge resolves for the Ingress (%s); "+
			"the RoutePolicy names that Service, and does not follow later changes of the routes of the host", ns, name, port, auth.note)
	}
	if !ok {
		b.refusePolicy(p, done, "auth-url", fmt.Sprintf("the auth-url %s is not a port of a Service of the cluster (<service>.<namespace>[.svc[.%s]]), the only auth services gatebridge reaches (it answers 500 for the Ingress)",
			ea.URL.Redacted(), convert.DefaultDomainSuffix))
		return false
	}
	spec.ExtAuth = &gbv1alpha1.ExtAuth{BackendRef: gbv1alpha1.ServiceRef{Name: name, Port: int32(port)}, Path: ea.URL.RequestURI(), ResponseHeaders: ea.ResponseHeaders,
		Method: ea.Method, RequestRedirect: ea.RequestRedirect}
	b.policySignin(p, ea, spec.ExtAuth)
	if ns != p.ing.Namespace {
		spec.ExtAuth.BackendRef.Namespace = new(ns)
		b.grantPolicyService(p, ns, name)
	}
	return true
}

// signinParamPattern is what a RoutePolicy's signinParam may hold.
var signinParamPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)

// policySignin carries auth-signin into the RoutePolicy's extAuth: its URL and variables mean there what
// they mean for the Ingress. A redirect parameter the schema refuses leaves the sign-in out (a 401 stays a 401).
func (b *gwBuilder) policySignin(p *ingressPlan, ea *annotations.ExtAuth, out *gbv1alpha1.ExtAuth) {
	if ea.Signin == nil {
		return
	}
	if !signinParamPattern.MatchString(ea.SigninParam) {
		p.signinLost = fmt.Sprintf("auth-signin-redirect-param %q is not a name RoutePolicy's signinParam takes (letters, digits, . _ ~ -): "+
			"no sign-in redirect is carried over, clients get the 401 itself", ea.SigninParam)
		return
	}
	out.SigninURL = ea.Signin.String()
	if ea.SigninParam != gbv1alpha1.DefaultSigninParam {
		out.SigninParam = ea.SigninParam
	}
}

// sameHostAuthURL says whether an auth-url names a path of the request's own host: $host or a host of the Ingress.
func sameHostAuthURL(p *ingressPlan, ea *annotations.ExtAuth) bool {
	h := ea.URL.Hostname()
	return h == annotations.RequestHost || slices.ContainsFunc(p.ing.Spec.Rules, func(r networkingv1.IngressRule) bool { return r.Host != "" && strings.EqualFold(r.Host, h) })
}

func clusterService(host string) (name, namespace string, ok bool) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, suffix := range []string{".svc." + convert.DefaultDomainSuffix, ".svc", ""} {
		if rest, found := strings.CutSuffix(host, suffix); found {
			if name, namespace, ok = strings.Cut(rest, "."); ok && name != "" && namespace != "" && !strings.Contains(namespace, ".") {
				return name, namespace, true
			}
		}
	}
	return "", "", false
}

// addRoutePolicy adds the RoutePolicy of an Ingress and names it in every rule of its routes but redirects.
func (b *gwBuilder) addRoutePolicy(p *ingressPlan, spec gbv1alpha1.RoutePolicySpec) {
	rp := gbv1alpha1.RoutePolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: gbv1alpha1.SchemeGroupVersion.String(), Kind: gbv1alpha1.RoutePolicyKind},
		ObjectMeta: metav1.ObjectMeta{Name: p.ing.Name, Namespace: p.ing.Namespace, Labels: sourceLabels(p)},
		Spec:       spec,
	}
	d, err := document(rp.APIVersion, rp.Kind, rp)
	if err != nil {
		p.item("RoutePolicy", Lost, "", "cannot print the RoutePolicy: %v", err)
		return
	}
	b.out.extra = append(b.out.extra, d)
	p.report.Outputs = append(p.report.Outputs, "RoutePolicy/"+p.ing.Namespace+"/"+p.ing.Name)
	p.policyFilter = &gwapiv1.HTTPRouteFilter{Type: gwapiv1.HTTPRouteFilterExtensionRef, ExtensionRef: &gwapiv1.LocalObjectReference{
		Group: gbv1alpha1.GroupName, Kind: gbv1alpha1.RoutePolicyKind, Name: gwapiv1.ObjectName(p.ing.Name)}}
	p.eachRule(func(r *pathRule) { p.applyPolicy(&r.rule) })
}

// applyPolicy names the Ingress's RoutePolicy (if any) first in the filters of a rule that does not
// redirect: nginx redirects before it checks addresses, limits or credentials.
func (p *ingressPlan) applyPolicy(r *gwapiv1.HTTPRouteRule) {
	if p.policyFilter != nil && !hasRedirect(*r) {
		r.Filters = append([]gwapiv1.HTTPRouteFilter{*p.policyFilter}, r.Filters...)
	}
}

// reportPolicyKeys reports each policy key of p as gatebridge serves it for the Ingress: in RoutePolicy
// policy (approximated where the annotation parser says so), or, when policy is "", with no effect.
func (b *gwBuilder) reportPolicyKeys(p *ingressPlan, policy string, done reporter) {
	for _, k := range policyKeys {
		i := slices.IndexFunc(p.findings, func(f annotations.Finding) bool { return f.Key == np+k })
		switch {
		case i >= 0 && p.findings[i].Kind != annotations.Approximated:
			done(Lost, "%s", []any{p.findings[i].Message}, k)
		case policy != "" && p.signinLost != "" && (k == "auth-signin" || k == "auth-signin-redirect-param"):
			done(Lost, "%s", []any{p.signinLost}, k)
		case policy != "" && k == "auth-url" && p.authURLNote != "" && i >= 0:
			done(Approximated, "RoutePolicy %s: %s; %s", []any{policy, p.authURLNote, p.findings[i].Message}, k)
		case policy == "":
			done(Exact, "%s", []any{"no effect as gatebridge serves the Ingress (it asks for nothing, such as an allow-list of every address, or the key it goes with is unusable): no RoutePolicy is needed"}, k)
		case i < 0:
			done(Exact, "RoutePolicy %s, named by an ExtensionRef filter in each rule, as gatebridge serves the annotation for Ingresses", []any{policy}, k)
		default:
			done(Approximated, "RoutePolicy %s: %s", []any{policy, p.findings[i].Message}, k)
		}
	}
}

// refuseAuth refuses every request of an Ingress whose auth-url or auth-type gatebridge cannot ask.
func (b *gwBuilder) refuseAuth(p *ingressPlan, done reporter) {
	for _, f := range p.findings {
		for _, k := range []string{"auth-url", "auth-type"} {
			if f.Key == np+k && f.Kind == annotations.Invalid {
				b.refusePolicy(p, done, k, strings.TrimSuffix(f.Message, "; "+annotations.RefusedAuth))
				return
			}
		}
	}
}

// refusePolicy carries an access restriction that cannot be carried (key, for why) as a RoutePolicy that
// refuses every request (403) of the Ingress's rules but redirects, never as open paths; the other policy
// keys are lost with it.
func (b *gwBuilder) refusePolicy(p *ingressPlan, done reporter, key, why string) {
	b.addRoutePolicy(p, gbv1alpha1.RoutePolicySpec{SourceRanges: &gbv1alpha1.SourceRanges{DenyAll: true}, MirrorHost: p.mirrorHost})
	done(Lost, "%s: the migrated paths are refused instead, every request answered 403 by RoutePolicy %s (sourceRanges.denyAll), "+
		"until you write the authentication by hand (a RoutePolicy basicAuth or extAuth) and remove denyAll", []any{why, p.ing.Name}, key)
	for _, k := range policyKeys {
		if k != key {
			done(Lost, "not carried over: RoutePolicy %s refuses every request (see %s); write this setting by hand with the authentication", []any{p.ing.Name, key}, k)
		}
	}
}

// grantPolicyService records that a RoutePolicy of p's namespace names a Service of namespace ns.
func (b *gwBuilder) grantPolicyService(p *ingressPlan, ns, name string) {
	key := [2]string{ns, p.ing.Namespace}
	if b.out.policyGrants == nil {
		b.out.policyGrants = map[[2]string]map[string]bool{}
	}
	if b.out.policyGrants[key] == nil {
		b.out.policyGrants[key] = map[string]bool{}
	}
	b.out.policyGrants[key][name] = true
	p.report.Outputs = append(p.report.Outputs, "ReferenceGrant/"+ns+"/"+policyGrantName(p.ing.Namespace))
}

func policyGrantName(from string) string { return "routepolicies-" + from }

// policyGrantObjects allow RoutePolicies to name auth Services of other namespaces, by name.
func (o *outputs) policyGrantObjects() []*gwapiv1.ReferenceGrant {
	return serviceGrants(o.policyGrants, policyGrantName, func(ns string) []gwapiv1.ReferenceGrantFrom {
		return []gwapiv1.ReferenceGrantFrom{{Group: gbv1alpha1.GroupName, Kind: gbv1alpha1.RoutePolicyKind, Namespace: gwapiv1.Namespace(ns)}}
	})
}

// routeGrantObjects allow the routes of a namespace to mirror to Services of other namespaces, by name.
func (o *outputs) routeGrantObjects() []*gwapiv1.ReferenceGrant {
	return serviceGrants(o.routeGrants, routeGrantName, func(ns string) []gwapiv1.ReferenceGrantFrom {
		return []gwapiv1.ReferenceGrantFrom{
			{Group: gwapiv1.GroupName, Kind: "GRPCRoute", Namespace: gwapiv1.Namespace(ns)},
			{Group: gwapiv1.GroupName, Kind: "HTTPRoute", Namespace: gwapiv1.Namespace(ns)},
		}
	})
}

// serviceGrants are the ReferenceGrants of grants (Services by Service namespace and referring
// namespace), each named name(referring namespace).
func serviceGrants(grants map[[2]string]map[string]bool, name func(string) string, from func(ns string) []gwapiv1.ReferenceGrantFrom) []*gwapiv1.ReferenceGrant {
	var out []*gwapiv1.ReferenceGrant
	for _, key := range slices.SortedFunc(maps.Keys(grants), func(a, b [2]string) int { return strings.Compare(a[0]+"/"+a[1], b[0]+"/"+b[1]) }) {
		g := &gwapiv1.ReferenceGrant{
			ObjectMeta: metav1.ObjectMeta{Name: name(key[1]), Namespace: key[0]},
			Spec:       gwapiv1.ReferenceGrantSpec{From: from(key[1])},
		}
		for _, n := range slices.Sorted(maps.Keys(grants[key])) {
			g.Spec.To = append(g.Spec.To, gwapiv1.ReferenceGrantTo{Group: "", Kind: "Service", Name: new(gwapiv1.ObjectName(n))})
		}
		out = append(out, g)
	}
	return out
}
