package convert

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net"
	"regexp"
	"slices"
	"strings"

	istionet "istio.io/api/networking/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/certs"
	"github.com/gatebridge/gatebridge/model"
)

// Reasons of the notes about Ingresses.
const (
	ReasonPathConflict           = "PathConflict"
	ReasonDefaultBackendConflict = "DefaultBackendConflict"
	ReasonTLSConflict            = "TLSConflict"
	ReasonBackendNotFound        = "BackendNotFound"
	ReasonUnsupportedBackend     = "UnsupportedBackend"
	ReasonInvalidPath            = "InvalidPath"
	ReasonSecretNotFound         = "SecretNotFound"
	ReasonInvalidSecret          = "InvalidSecret"
	ReasonUnsupportedAnnotation  = "UnsupportedAnnotation"
	ReasonUnknownAnnotation      = "UnknownAnnotation"
	ReasonInvalidAnnotation      = "InvalidAnnotation"
	ReasonApproximatedAnnotation = "ApproximatedAnnotation"
	// ReasonIgnoredAnnotation: the annotation has no effect where it is set, as in ingress-nginx (a
	// key of a canary Ingress that the primary's settings replace).
	ReasonIgnoredAnnotation = "IgnoredAnnotation"
)

// ingressFleet gathers the Ingresses of one class: they share one Envoy fleet, one Istio Gateway and
// one VirtualService per host.
type ingressFleet struct {
	class     string
	ingresses []*networkingv1.Ingress
	// settings are what the annotations of each Ingress ask for.
	settings map[*networkingv1.Ingress]annotations.Ingress
	// mirrors are the resolved mirror-targets of the Ingresses that have a usable one.
	mirrors map[*networkingv1.Ingress]*istionet.HTTPMirrorPolicy
}

// routing returns the ingress-nginx routing settings of an Ingress of the fleet.
func (f *ingressFleet) routing(ing *networkingv1.Ingress) annotations.NginxRouting {
	return f.settings[ing].Routing
}

// ingressPath is one path of one Ingress rule, with what it takes to order and build it.
type ingressPath struct {
	ing     *networkingv1.Ingress
	host    string
	path    pathMatch
	backend networkingv1.IngressBackend
	what    string // where the path was declared, for notes and route names
	// isDefault marks a spec.defaultBackend: it takes only what no rule path of the host takes.
	isDefault bool
	// canary is the backend of the canary Ingress of this path, if any (ingress_canary.go).
	canary *canaryBackend
}

// ingressClassOf returns the class an Ingress is served under, and whether gatebridge serves it at all.
func (t *translator) ingressClassOf(ing *networkingv1.Ingress, settings annotations.Ingress, ours map[string]bool, defaultClass string) (string, bool) {
	if settings.HasClass {
		return settings.Class, settings.Class == t.opts.IngressClassValue || ours[settings.Class]
	}
	if ing.Spec.IngressClassName != nil && *ing.Spec.IngressClassName != "" {
		return *ing.Spec.IngressClassName, ours[*ing.Spec.IngressClassName]
	}
	if defaultClass != "" {
		return defaultClass, true
	}
	return t.opts.IngressClassValue, t.opts.WatchIngressWithoutClass
}

// ourIngressClasses returns the IngressClasses whose controller is gatebridge's, and the default one.
func (t *translator) ourIngressClasses() (map[string]bool, string) {
	ours := map[string]bool{}
	var newestDefault *networkingv1.IngressClass
	for i := range t.in.IngressClasses {
		ic := &t.in.IngressClasses[i]
		if ic.Spec.Controller == t.opts.IngressController {
			ours[ic.Name] = true
		}
		// As the API server's admission does for new Ingresses: of several default classes (of any
		// controller), the newest wins; a name breaks a tie so that the choice is stable.
		if ic.Annotations[DefaultIngressClassMarker] == "true" && (newestDefault == nil ||
			ic.CreationTimestamp.After(newestDefault.CreationTimestamp.Time) ||
			(ic.CreationTimestamp.Equal(&newestDefault.CreationTimestamp) && ic.Name < newestDefault.Name)) {
			newestDefault = ic
		}
	}
	if newestDefault == nil || !ours[newestDefault.Name] {
		return ours, ""
	}
	return ours, newestDefault.Name
}

func (t *translator) translateIngresses() {
	ours, defaultClass := t.ourIngressClasses()
	fleets := map[string]*ingressFleet{}
	for i := range t.in.Ingresses {
		ing := &t.in.Ingresses[i]
		settings, findings := annotations.ParseIngress(ing.Annotations)
		class, ok := t.ingressClassOf(ing, settings, ours, defaultClass)
		if !ok {
			continue
		}
		if fleets[class] == nil {
			fleets[class] = &ingressFleet{class: class, settings: map[*networkingv1.Ingress]annotations.Ingress{}}
		}
		fleets[class].ingresses = append(fleets[class].ingresses, ing)
		fleets[class].settings[ing] = settings
		t.result.Status.Ingresses[ingressRef(ing)] = t.ingressStatus(class)
		for _, f := range findings {
			t.note(ingressRef(ing), NoteWarning, findingReason(f.Kind), "annotation %s: %s", f.Key, f.Message)
		}
	}
	for _, class := range slices.Sorted(maps.Keys(fleets)) {
		f := fleets[class]
		slices.SortFunc(f.ingresses, func(a, b *networkingv1.Ingress) int { return olderFirst(&a.ObjectMeta, &b.ObjectMeta) })
		t.translateIngressFleet(f)
	}
}

// findingReason is the reason of the note about an annotation that is not honoured exactly.
func findingReason(kind annotations.FindingKind) string {
	switch kind {
	case annotations.Unknown:
		return ReasonUnknownAnnotation
	case annotations.Invalid:
		return ReasonInvalidAnnotation
	case annotations.Approximated:
		return ReasonApproximatedAnnotation
	case annotations.Ignored:
		return ReasonIgnoredAnnotation
	}
	return ReasonUnsupportedAnnotation
}

func ingressRef(ing *networkingv1.Ingress) ObjectRef {
	return ObjectRef{Kind: "Ingress", Namespace: ing.Namespace, Name: ing.Name}
}

func (t *translator) ingressStatus(class string) networkingv1.IngressStatus {
	var st networkingv1.IngressStatus
	addrs, ok := t.opts.IngressClassAddresses[class]
	if !ok {
		addrs = t.opts.IngressAddresses
	}
	for _, a := range addrs {
		if net.ParseIP(a) != nil {
			st.LoadBalancer.Ingress = append(st.LoadBalancer.Ingress, networkingv1.IngressLoadBalancerIngress{IP: a})
		} else {
			st.LoadBalancer.Ingress = append(st.LoadBalancer.Ingress, networkingv1.IngressLoadBalancerIngress{Hostname: a})
		}
	}
	return st
}

// IngressFleet names the Envoy fleet that serves the Ingresses of a class.
func IngressFleet(class string) string { return "ingress-" + class }

func (t *translator) translateIngressFleet(f *ingressFleet) {
	fleet := IngressFleet(f.class)
	gwName := fleet
	c := t.collectIngressFleet(f)
	tlsServers := dropPassthroughHosts(t.ingressTLSServers(f), c.passthrough)
	names := t.ingressNames(f, c)
	t.serveNamesOverTLS(tlsServers, names)
	tlsHosts := serverHosts(tlsServers)
	t.resolveMirrors(f)
	regexHosts := regexHosts(f, c.hosts)
	gwRef := t.opts.IngressNamespace + "/" + gwName
	for _, host := range slices.Sorted(maps.Keys(c.hosts)) {
		h := ingressHost{fleet: fleet, gwRef: gwRef, name: host, tls: tlsHosts[host], regex: regexHosts[host], aliases: names.Aliases[host]}
		t.buildIngressHost(f, h, c.hosts[host])
	}
	t.buildWWWRedirects(fleet, gwRef, names.Redirects)
	t.addIngressPolicies(fleet, f)
	servers := []*istionet.Server{{
		Name:  "http",
		Port:  &istionet.Port{Number: t.opts.IngressHTTPPort, Protocol: "HTTP", Name: "http"},
		Hosts: []string{"*"},
	}}
	servers = append(servers, tlsServers...)
	servers = append(servers, t.buildPassthrough(fleet, gwRef, c.passthrough)...)
	t.result.Snapshot.Gateways = append(t.result.Snapshot.Gateways, model.Gateway{
		Meta: model.Meta{Name: gwName, Namespace: t.opts.IngressNamespace, Fleet: fleet, Origin: model.OriginIngress, Sources: ingressSources(f.ingresses)},
		Spec: &istionet.Gateway{Selector: map[string]string{model.FleetLabel: fleet}, Servers: servers},
	})
}

// fleetCollection is what the Ingresses of a fleet ask for, by host.
type fleetCollection struct {
	hosts map[string][]ingressPath
	// passthrough holds, by host, the path "/" whose backend takes the host's TLS connections.
	passthrough map[string]ingressPath
}

// collectIngressFleet gathers the paths of every Ingress of a fleet by host: rule paths (the oldest
// Ingress owns a host and path), then default backends, then canaries merged into the paths they share.
func (t *translator) collectIngressFleet(f *ingressFleet) fleetCollection {
	c := fleetCollection{hosts: map[string][]ingressPath{}, passthrough: map[string]ingressPath{}}
	claimed := map[string]*networkingv1.Ingress{} // host + type + path -> the Ingress that owns it
	defaultBackends := map[string]ingressPath{}   // host -> default backend of the oldest Ingress of that host
	nginxDefaults := map[string]ingressPath{}     // host -> default-backend annotation of the oldest Ingress
	var catchAll *ingressPath
	var canaries []*networkingv1.Ingress
	for _, ing := range f.ingresses {
		r := f.routing(ing)
		switch {
		case r.Canary.Enabled:
			canaries = append(canaries, ing)
			continue
		case r.Hosts.SSLPassthrough:
			t.collectPassthrough(ing, c.passthrough)
			continue
		}
		ruleHosts := t.collectIngressPaths(ing, c.hosts, claimed)
		t.collectNginxDefaultBackend(ing, r.Hosts.DefaultBackend, ruleHosts, nginxDefaults)
		if ing.Spec.DefaultBackend == nil {
			continue
		}
		db := ingressPath{ing: ing, path: pathMatch{kind: pathSegmentPrefix, value: "/"}, backend: *ing.Spec.DefaultBackend, what: "defaultBackend", isDefault: true}
		if catchAll == nil {
			catchAll = &db
		} else {
			t.note(ingressRef(ing), NoteWarning, ReasonDefaultBackendConflict,
				"spec.defaultBackend serves only the hosts of this Ingress's rules: Ingress %s/%s, older, is the catch-all of class %q", catchAll.ing.Namespace, catchAll.ing.Name, f.class)
		}
		for _, h := range ruleHosts {
			if _, ok := defaultBackends[h]; !ok {
				db.host = h
				defaultBackends[h] = db
			}
		}
	}
	if catchAll != nil {
		catchAll.host = "*"
		defaultBackends["*"] = *catchAll
	}
	maps.Copy(defaultBackends, nginxDefaults)
	for h, db := range defaultBackends {
		c.hosts[h] = append(c.hosts[h], db)
	}
	t.mergeCanaries(f, canaries, c.hosts)
	return c
}

func ingressSources(ings []*networkingv1.Ingress) []string {
	var out []string
	for _, ing := range ings {
		out = append(out, ingressRef(ing).String())
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// collectIngressPaths adds the paths of one Ingress to hosts, skipping paths an older Ingress owns, and
// returns the hosts of its rules.
func (t *translator) collectIngressPaths(ing *networkingv1.Ingress, hosts map[string][]ingressPath, claimed map[string]*networkingv1.Ingress) []string {
	var ruleHosts []string
	for ri, rule := range ing.Spec.Rules {
		host := cmp.Or(rule.Host, "*")
		ruleHosts = append(ruleHosts, host)
		if rule.HTTP == nil {
			continue
		}
		for pi, p := range rule.HTTP.Paths {
			what := fmt.Sprintf("rules[%d].http.paths[%d]", ri, pi)
			pm, err := ingressPathMatch(p)
			if err != nil {
				t.note(ingressRef(ing), NoteWarning, ReasonInvalidPath, "%s: %v; the path is not served", what, err)
				continue
			}
			key := host + " " + pm.key()
			if owner, ok := claimed[key]; ok && owner != ing {
				t.note(ingressRef(ing), NoteWarning, ReasonPathConflict,
					"%s: host %q path %q is already served by Ingress %s/%s (older); this path is ignored", what, host, p.Path, owner.Namespace, owner.Name)
				continue
			}
			claimed[key] = ing
			hosts[host] = append(hosts[host], ingressPath{ing: ing, host: host, path: pm, backend: p.Backend, what: what})
		}
	}
	slices.Sort(ruleHosts)
	return slices.Compact(ruleHosts)
}

// ingressPathMatch maps an Ingress path to a match. ImplementationSpecific follows ingress-nginx, which
// most migrating users come from: a plain string prefix (/foo also matches /foobar).
func ingressPathMatch(p networkingv1.HTTPIngressPath) (pathMatch, error) {
	typ := networkingv1.PathTypeImplementationSpecific
	if p.PathType != nil {
		typ = *p.PathType
	}
	path := p.Path
	if path == "" && typ != networkingv1.PathTypeExact {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		return pathMatch{}, fmt.Errorf("path %q does not start with /", p.Path)
	}
	switch typ {
	case networkingv1.PathTypeExact:
		return pathMatch{kind: pathExact, value: path}, nil
	case networkingv1.PathTypePrefix:
		return pathMatch{kind: pathSegmentPrefix, value: path}, nil
	case networkingv1.PathTypeImplementationSpecific:
		return pathMatch{kind: pathStringPrefix, value: path}, nil
	}
	return pathMatch{}, fmt.Errorf("unknown pathType %q", typ)
}

// compareIngressPaths orders the paths of one host as the Ingress specification asks: rule paths before
// the default backend, the longest path first, Exact before Prefix on a tie; then the oldest Ingress,
// then declaration order (stable sort).
func compareIngressPaths(a, b ingressPath) int {
	return cmp.Or(
		compareBool(a.isDefault, b.isDefault),
		-cmp.Compare(len(strings.TrimRight(a.path.value, "/")), len(strings.TrimRight(b.path.value, "/"))),
		cmp.Compare(a.path.kind, b.path.kind),
		olderFirst(&a.ing.ObjectMeta, &b.ing.ObjectMeta),
	)
}

// ingressHost is one host of an Ingress fleet and what its paths share.
type ingressHost struct {
	fleet, gwRef, name string
	// tls says the host is served over HTTPS with a usable Secret.
	tls bool
	// regex says some Ingress of the host asks for regex paths (use-regex, rewrite-target).
	regex bool
	// aliases are more names served as this host (server-alias).
	aliases []string
}

func (t *translator) buildIngressHost(f *ingressFleet, h ingressHost, paths []ingressPath) {
	if h.regex {
		slices.SortStableFunc(paths, compareRegexPaths)
	} else {
		slices.SortStableFunc(paths, compareIngressPaths)
	}
	vs := &istionet.VirtualService{Hosts: append([]string{h.name}, h.aliases...), Gateways: []string{h.gwRef}}
	sources := map[string]bool{}
	if root, ing := t.appRootRoute(f, h.name, paths); root != nil {
		sources[ingressRef(ing).String()] = true
		vs.Http = append(vs.Http, root)
	}
	for _, p := range paths {
		routes, ok := t.ingressPathRoutes(f, h, p)
		if !ok {
			continue
		}
		sources[ingressRef(p.ing).String()] = true
		if p.canary != nil {
			sources[ingressRef(p.canary.ing).String()] = true
		}
		vs.Http = append(vs.Http, routes...)
	}
	if len(vs.Http) == 0 {
		return
	}
	widenAuthority(vs.Http, h.name, h.aliases)
	t.addVirtualService(model.Meta{
		Name: h.fleet + "-" + hostSlug(h.name), Namespace: t.opts.IngressNamespace, Fleet: h.fleet,
		Origin: model.OriginIngress, Sources: sortedSet(sources),
	}, vs)
}

// ingressRoute builds the Istio route of one Ingress path (without its URI match). A missing Service
// or port answers 503, as ingress-nginx does.
func (t *translator) ingressRoute(p ingressPath) (*istionet.HTTPRoute, bool) {
	ref := ingressRef(p.ing)
	route := &istionet.HTTPRoute{
		Name:  fmt.Sprintf("%s/%s/%s", p.ing.Namespace, p.ing.Name, p.what),
		Match: []*istionet.HTTPMatchRequest{ingressHostMatch(p.host)},
	}
	if p.backend.Resource != nil {
		t.note(ref, NoteWarning, ReasonUnsupportedBackend, "%s: resource backend %s %s is not supported; the path is not served",
			p.what, p.backend.Resource.Kind, p.backend.Resource.Name)
		return nil, false
	}
	if p.backend.Service == nil {
		t.note(ref, NoteWarning, ReasonUnsupportedBackend, "%s: no backend; the path is not served", p.what)
		return nil, false
	}
	dest, err := t.ingressDestination(p.ing.Namespace, p.backend.Service)
	if err != nil {
		t.note(ref, NoteWarning, ReasonBackendNotFound, "%s: %v; requests get 503", p.what, err)
		route.DirectResponse = &istionet.HTTPDirectResponse{Status: 503}
		return route, true
	}
	route.Route = []*istionet.HTTPRouteDestination{{Destination: dest}}
	return route, true
}

// ingressHostMatch is the match every route of an Ingress host starts from. The Ingress specification
// lets a wildcard stand for exactly one DNS label; Envoy's domain wildcard would take any number.
func ingressHostMatch(host string) *istionet.HTTPMatchRequest {
	m := &istionet.HTTPMatchRequest{}
	if strings.HasPrefix(host, "*.") {
		m.Authority = regexMatch(`(?i)^[^.]+` + regexp.QuoteMeta(host[1:]) + `(:[0-9]+)?$`)
	}
	return m
}

// ingressDestination resolves an Ingress service backend to a destination and marks the Service used.
func (t *translator) ingressDestination(namespace string, b *networkingv1.IngressServiceBackend) (*istionet.Destination, error) {
	port, err := t.ingressServicePort(namespace, b)
	if err != nil {
		return nil, err
	}
	t.useService(namespace, b.Name)
	return &istionet.Destination{Host: serviceHost(namespace, b.Name, t.opts.DomainSuffix), Port: &istionet.PortSelector{Number: port}}, nil
}

// ingressServicePort resolves the port of an Ingress service backend (by number or by name).
func (t *translator) ingressServicePort(namespace string, b *networkingv1.IngressServiceBackend) (uint32, error) {
	svc, ok := t.ix.services[nsName{namespace, b.Name}]
	if !ok {
		return 0, fmt.Errorf("service %s/%s not found", namespace, b.Name)
	}
	for _, p := range svc.Spec.Ports {
		if (b.Port.Name != "" && p.Name == b.Port.Name) || (b.Port.Name == "" && p.Port == b.Port.Number) {
			return uint32(p.Port), nil
		}
	}
	if b.Port.Name != "" {
		return 0, fmt.Errorf("service %s/%s has no port named %q", namespace, b.Name, b.Port.Name)
	}
	return 0, fmt.Errorf("service %s/%s has no port %d", namespace, b.Name, b.Port.Number)
}

// ingressTLSServers builds one HTTPS server per Secret. A host is served with the Secret of the oldest
// Ingress that names a usable one for it; a Secret that is missing or unusable (not a TLS Secret, PEM
// that does not parse, a key that does not match, a certificate out of its validity period) is reported
// and its hosts are left out of HTTPS until it is fixed (plain HTTP keeps working).
func (t *translator) ingressTLSServers(f *ingressFleet) []*istionet.Server {
	hostOwner := map[string]string{} // host -> credential
	bySecret := map[string]map[string]bool{}
	for _, ing := range f.ingresses {
		for i, tls := range ing.Spec.TLS {
			if tls.SecretName == "" {
				continue
			}
			if err := t.secretErr(ing.Namespace, tls.SecretName); err != nil {
				reason := ReasonInvalidSecret
				if errors.Is(err, certs.ErrSecretNotFound) {
					reason = ReasonSecretNotFound
				}
				t.note(ingressRef(ing), NoteWarning, reason, "spec.tls[%d]: %v; its hosts are served over HTTP only", i, err)
				continue
			}
			cred := ing.Namespace + "/" + tls.SecretName
			tlsHosts := tls.Hosts
			if len(tlsHosts) == 0 {
				tlsHosts = ingressRuleHosts(ing)
			}
			for _, h := range tlsHosts {
				if owner, ok := hostOwner[h]; ok && owner != cred {
					t.note(ingressRef(ing), NoteWarning, ReasonTLSConflict, "spec.tls[%d]: host %q already uses secret %s of an older Ingress", i, h, owner)
					continue
				}
				hostOwner[h] = cred
				if bySecret[cred] == nil {
					bySecret[cred] = map[string]bool{}
				}
				bySecret[cred][h] = true
			}
		}
	}
	var servers []*istionet.Server
	for _, cred := range slices.Sorted(maps.Keys(bySecret)) {
		name := "https-" + strings.ReplaceAll(cred, "/", "-")
		servers = append(servers, &istionet.Server{
			Name:  name,
			Port:  &istionet.Port{Number: t.opts.IngressHTTPSPort, Protocol: "HTTPS", Name: name},
			Hosts: sortedSet(bySecret[cred]),
			Tls:   &istionet.ServerTLSSettings{Mode: istionet.ServerTLSSettings_SIMPLE, CredentialName: cred},
		})
	}
	return servers
}

func ingressRuleHosts(ing *networkingv1.Ingress) []string {
	hosts := []string{}
	for _, r := range ing.Spec.Rules {
		hosts = append(hosts, cmp.Or(r.Host, "*"))
	}
	if len(hosts) == 0 {
		hosts = append(hosts, "*")
	}
	slices.Sort(hosts)
	return slices.Compact(hosts)
}
