package migrate

import (
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/annotations"
)

// ingressPlan is one Ingress on its way to routes: its paths by host, and its report.
type ingressPlan struct {
	ing      *networkingv1.Ingress
	ref      Ref
	settings annotations.Ingress
	// findings are what the annotation parser says of the Ingress's annotations, sorted by key.
	findings []annotations.Finding
	report   *ObjectReport
	// hosts are the hosts of its rules ("" for rules without a host), in order of appearance.
	hosts []string
	paths map[string][]*pathRule
	// defaultBackend is spec.defaultBackend as backendRefs (nil when absent or unusable).
	defaultBackend []gwapiv1.HTTPBackendRef
	// annotationDefault is the Service of the default-backend annotation as backendRefs.
	annotationDefault []gwapiv1.HTTPBackendRef
	// policyFilter is the ExtensionRef filter naming the Ingress's RoutePolicy (nil without one).
	policyFilter *gwapiv1.HTTPRouteFilter
	// passthrough are the hosts an ssl-passthrough Ingress passes TLS connections through for.
	passthrough []*passthroughHost
	// backendTLS says a BackendTLSPolicy verifies the backends of p; clientCert is the proxy-ssl-secret
	// ("namespace/name") when it holds a client certificate ("" without, unknownClientCert when not read).
	backendTLS bool
	clientCert string
	// proxySSL is how p's backends are verified when it has BackendTLSPolicies (its canaries' too).
	proxySSL *proxySSL
	// mirrorHost is the Host of the copies of mirror-target ("" without a usable one).
	mirrorHost string
	// authURLNote says where the RoutePolicy sends the checks of an auth-url of the request's own host;
	// signinLost why auth-signin is not carried over ("" when it is, or when there is none).
	authURLNote, signinLost string
}

// pathRule is one Ingress path (or the default backend) as one HTTPRoute rule.
type pathRule struct {
	subject string
	host    string
	// key says what the path takes, for conflicts between Ingresses (as convert keys them).
	key string
	// path is the Ingress path as written ("/" for an empty one): a canary joins the primary's path
	// with the same value, whatever their path types.
	path      string
	isDefault bool
	rule      gwapiv1.HTTPRouteRule
	// owner is the Ingress whose route holds the rule; canary, the canary Ingress that joined it.
	owner, canary *ingressPlan
}

func (p *ingressPlan) item(subject string, outcome Outcome, host, format string, args ...any) {
	p.report.Items = append(p.report.Items, Item{Subject: subject, Outcome: outcome, Host: host, Message: fmt.Sprintf(format, args...)})
}

// planPaths turns the rules of an Ingress into path rules by host.
func (b *gwBuilder) planPaths(p *ingressPlan) {
	p.paths = map[string][]*pathRule{}
	seen := map[string]bool{}
	for ri, rule := range p.ing.Spec.Rules {
		host := rule.Host
		if !seen[host] {
			seen[host] = true
			p.hosts = append(p.hosts, host)
		}
		if rule.HTTP == nil {
			continue
		}
		for pi, ip := range rule.HTTP.Paths {
			subject := fmt.Sprintf("spec.rules[%d].http.paths[%d]", ri, pi)
			var match gwapiv1.HTTPPathMatch
			key, ok := "", true
			if !p.settings.Routing.Canary.Enabled { // a canary's path takes its primary's match
				match, key, ok = b.pathMatch(p, subject, host, ip)
			}
			if !ok {
				continue
			}
			ref, ok := b.backendRef(p, subject, host, ip.Backend)
			if !ok {
				continue
			}
			p.paths[host] = append(p.paths[host], &pathRule{subject: subject, host: host, key: key, path: rawPath(ip), rule: gwapiv1.HTTPRouteRule{
				Matches: []gwapiv1.HTTPRouteMatch{{Path: &match}}, BackendRefs: ref,
			}})
		}
	}
}

// rawPath is the path of an Ingress path as ingress-nginx reads it: "/" when empty, but for an Exact one.
func rawPath(ip networkingv1.HTTPIngressPath) string {
	if ip.Path == "" && (ip.PathType == nil || *ip.PathType != networkingv1.PathTypeExact) {
		return "/"
	}
	return ip.Path
}

// pathMatch maps an Ingress path to a Gateway API path match, reporting what is approximated.
func (b *gwBuilder) pathMatch(p *ingressPlan, subject, host string, ip networkingv1.HTTPIngressPath) (gwapiv1.HTTPPathMatch, string, bool) {
	typ := networkingv1.PathTypeImplementationSpecific
	if ip.PathType != nil {
		typ = *ip.PathType
	}
	path := ip.Path
	if path == "" && typ != networkingv1.PathTypeExact {
		path = "/"
	}
	if b.useRegex(p) {
		return regexPathMatch(p, subject, host, path)
	}
	if !strings.HasPrefix(path, "/") {
		p.item(subject, Lost, host, "path %q does not start with /: it is not served", ip.Path)
		return gwapiv1.HTTPPathMatch{}, "", false
	}
	switch typ {
	case networkingv1.PathTypeExact:
		return pathOf(gwapiv1.PathMatchExact, path), "exact " + path, true
	case networkingv1.PathTypePrefix:
		return pathOf(gwapiv1.PathMatchPathPrefix, path), segmentKey(path), true
	case networkingv1.PathTypeImplementationSpecific:
		key := "string " + path
		if strings.TrimRight(path, "/") == "" {
			key = "prefix /"
		} else {
			p.item(subject, Approximated, host, "pathType ImplementationSpecific %q is a plain string prefix in ingress-nginx (it also takes %sx); "+
				"PathPrefix takes whole path segments only", path, path)
		}
		return pathOf(gwapiv1.PathMatchPathPrefix, path), key, true
	}
	p.item(subject, Lost, host, "unknown pathType %q: the path is not served", typ)
	return gwapiv1.HTTPPathMatch{}, "", false
}

func segmentKey(path string) string {
	if strings.TrimRight(path, "/") == "" {
		return "prefix /"
	}
	return "segment " + strings.TrimRight(path, "/")
}

func pathOf(typ gwapiv1.PathMatchType, value string) gwapiv1.HTTPPathMatch {
	return gwapiv1.HTTPPathMatch{Type: &typ, Value: &value}
}

// regexPathMatch maps a path of an Ingress with use-regex (or rewrite-target, which implies it): ingress-nginx
// matches it as a case-insensitive regular expression anchored at the start of the path only.
func regexPathMatch(p *ingressPlan, subject, host, path string) (gwapiv1.HTTPPathMatch, string, bool) {
	if _, err := regexp.Compile(path); err != nil {
		p.item(subject, Lost, host, "path %q is not an RE2 regular expression (%v): it is not served", path, err)
		return gwapiv1.HTTPPathMatch{}, "", false
	}
	re := "(?i)" + path + ".*"
	if strings.HasSuffix(path, "$") {
		re = "(?i)" + path
	}
	return pathOf(gwapiv1.PathMatchRegularExpression, re), "regex " + re, true
}

// backendRef maps an Ingress backend to a backendRef; a port given by name is resolved with the Service.
func (b *gwBuilder) backendRef(p *ingressPlan, subject, host string, be networkingv1.IngressBackend) ([]gwapiv1.HTTPBackendRef, bool) {
	if be.Resource != nil {
		p.item(subject, Lost, host, "resource backend %s %s: Gateway API routes send to Services only; the path is not served", be.Resource.Kind, be.Resource.Name)
		return nil, false
	}
	if be.Service == nil {
		p.item(subject, Lost, host, "no backend: the path is not served")
		return nil, false
	}
	port := be.Service.Port.Number
	svc := b.services[nsName{p.ing.Namespace, be.Service.Name}]
	if be.Service.Port.Name != "" {
		port = servicePortByName(svc, be.Service.Port.Name)
		if port == 0 {
			p.item(subject, Lost, host, "service port %q of %s cannot be resolved (the Service or the port is not in the input); "+
				"Gateway API needs a port number: the path is not served", be.Service.Port.Name, be.Service.Name)
			return nil, false
		}
	}
	if svc == nil && b.haveServices {
		p.item(subject, Approximated, host, "service %s is not in the input: ingress-nginx answers 503, a Gateway API implementation 500", be.Service.Name)
	}
	return []gwapiv1.HTTPBackendRef{{BackendRef: serviceRef(be.Service.Name, port)}}, true
}

func servicePortByName(svc *corev1.Service, name string) int32 {
	if svc == nil {
		return 0
	}
	for _, sp := range svc.Spec.Ports {
		if sp.Name == name {
			return sp.Port
		}
	}
	return 0
}

func serviceRef(name string, port int32) gwapiv1.BackendRef {
	pn := port
	return gwapiv1.BackendRef{BackendObjectReference: gwapiv1.BackendObjectReference{
		Name: gwapiv1.ObjectName(name), Port: &pn,
	}}
}

// hostSlug turns a host into a fragment of an object name.
func hostSlug(host string) string {
	switch {
	case host == "" || host == "*":
		return "any"
	case strings.HasPrefix(host, "*."):
		return "wildcard." + host[2:]
	}
	return strings.ToLower(host)
}

// sectionSlug turns a host into a fragment of a listener name (no dots allowed).
func sectionSlug(host string) string {
	return strings.ReplaceAll(hostSlug(host), ".", "-")
}
