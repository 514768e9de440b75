package migrate

import (
	"fmt"
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/certs"
	"github.com/gatebridge/gatebridge/convert"
)

type nsName struct{ namespace, name string }

// gwBuilder carries one Gateway API migration.
type gwBuilder struct {
	opts     Options
	in       *convert.Input
	services map[nsName]*corev1.Service
	// haveServices says the input holds Services at all: only then is a missing one worth a word.
	haveServices bool
	reports      []*ObjectReport
	actions      map[string]bool
	out          outputs
	// tlsClaims are the BackendTLSPolicies made, by target; caConfigs the ConfigMaps of their CAs.
	tlsClaims map[tlsTarget]*backendTLSClaim
	caConfigs map[nsName]bool
	// verdicts judge the TLS Secrets of the input (secretKeys, by "namespace/name"), as the controller
	// does: whether a certificate covers an alias.
	verdicts   *certs.Verdicts
	secretKeys map[string]bool
	// classes are the Ingresses migrated; controller is their translation as gatebridge serves them,
	// made on first use (see controllerView).
	classes    []*ingressClass
	controller *convert.Result
}

func migrateGatewayAPI(in *convert.Input, classes []*ingressClass, opts Options) (Result, error) {
	b := &gwBuilder{opts: opts, in: in, services: map[nsName]*corev1.Service{}, actions: map[string]bool{}, haveServices: len(in.Services) > 0,
		tlsClaims: map[tlsTarget]*backendTLSClaim{}, caConfigs: map[nsName]bool{},
		verdicts: certs.Validate(in.Secrets, time.Now()), secretKeys: map[string]bool{}, classes: classes}
	for _, s := range in.Secrets {
		b.secretKeys[s.Namespace+"/"+s.Name] = true
	}
	for i := range in.Services {
		s := &in.Services[i]
		b.services[nsName{s.Namespace, s.Name}] = s
	}
	for _, c := range classes {
		b.migrateClass(c)
	}
	docs, err := b.out.documents(b.referenceGrants())
	if err != nil {
		return Result{}, err
	}
	res := Result{Objects: docs, Report: Report{Format: FormatGatewayAPI, Actions: slices.Sorted(maps.Keys(b.actions))}}
	for _, r := range b.reports {
		res.Report.Objects = append(res.Report.Objects, *r)
	}
	res.Report.finish()
	return res, nil
}

func (b *gwBuilder) action(format string, args ...any) {
	b.actions[fmt.Sprintf(format, args...)] = true
}

// classBuild is the migration of the Ingresses of one class: they share Gateways.
type classBuild struct {
	name  string
	plans []*ingressPlan
	// tls is, by host, the certificate of the oldest Ingress that names one for it.
	tls map[string]*hostTLS
	// listeners says, by host, where routes of that host attach.
	listeners map[string]hostListeners
	// passthrough holds, by host, the ssl-passthrough Ingress that passes its TLS connections through.
	passthrough map[string]*passthroughHost
	// names are the aliases and www redirects of the class (convert's decisions, hosts in its form);
	// nameTLS the names served over HTTPS, with the host whose certificate serves them; extraNames, by
	// host, the names that need listeners of their own.
	names      convert.HostNames
	nameTLS    map[string]string
	extraNames map[string][]string
}

// hostTLS is the certificate a host is served with.
type hostTLS struct {
	owner *ingressPlan
	// namespace and secret name the Secret the listener refers to.
	namespace, secret string
	// source is the Secret as the Ingress names it ("namespace/name").
	source string
	// certManager is the signature of the cert-manager annotations of the owner ("" when cert-manager
	// does not issue the certificate).
	certManager string
}

// hostListeners names the Gateway and listeners of one host.
type hostListeners struct {
	gateway, namespace string
	http, https        gwapiv1.SectionName
	// passthrough is the TLS listener (mode Passthrough) of an ssl-passthrough host.
	passthrough gwapiv1.SectionName
}

func (b *gwBuilder) migrateClass(c *ingressClass) {
	cb := &classBuild{name: c.name}
	for _, ing := range c.ingresses {
		cb.plans = append(cb.plans, b.planIngress(ing))
	}
	b.resolveConflicts(cb.plans)
	resolvePassthrough(cb)
	b.assignTLS(cb)
	b.decideNames(cb)
	b.buildGateways(cb)
	b.backendClientCertificates(cb)
	for _, p := range cb.plans {
		b.buildRoutes(cb, p)
	}
	b.buildWWWRedirects(cb)
	b.buildTLSRoutes(cb)
	for _, p := range cb.plans {
		b.reportHostNames(cb, p)
	}
}

// planIngress reads one Ingress: annotations, paths, default backend.
func (b *gwBuilder) planIngress(ing *networkingv1.Ingress) *ingressPlan {
	p := &ingressPlan{ing: ing, ref: ingressRef(ing)}
	p.report = &ObjectReport{Object: p.ref}
	b.reports = append(b.reports, p.report)
	p.settings, p.findings = annotations.ParseIngress(ing.Annotations)
	if p.settings.Routing.Canary.Enabled {
		b.planCanary(p)
		return p
	}
	if p.settings.Routing.Hosts.SSLPassthrough {
		b.planPassthrough(p)
		b.mapAnnotations(p)
		return p
	}
	b.planPaths(p)
	if db := ing.Spec.DefaultBackend; db != nil {
		if ref, ok := b.backendRef(p, "spec.defaultBackend", "", *db); ok {
			p.defaultBackend = ref
		}
	}
	b.planAnnotationDefault(p)
	for _, h := range p.hosts {
		if isWildcard(h) {
			p.item("spec.rules.host", Approximated, h, "wildcard host %s: a Gateway API hostname wildcard matches any number of DNS labels "+
				"(a.b%s too, as ingress-nginx's server_name does); the Ingress specification (and gatebridge serving Ingresses) match exactly one", h, h[1:])
		}
	}
	b.mapAnnotations(p)
	return p
}

func isWildcard(host string) bool { return len(host) > 2 && host[:2] == "*." }

// resolveConflicts keeps each host and path with the oldest Ingress that declares it, as ingress-nginx
// does, then gives each host without a path for "/" the default backend of its oldest Ingress that has
// one; the oldest default backend of all also takes the hosts no rule names. Canaries come last: they own
// no path, and join the path of their primary (see mergeCanaries).
func (b *gwBuilder) resolveConflicts(plans []*ingressPlan) {
	claimed := map[string]*ingressPlan{}
	byPath := map[string]*pathRule{} // host + " " + raw path -> the first rule claimed for it
	for _, p := range plans {
		if p.settings.Routing.Canary.Enabled {
			continue
		}
		for _, h := range p.hosts {
			kept := p.paths[h][:0]
			for _, r := range p.paths[h] {
				k := h + " " + r.key
				if owner, ok := claimed[k]; ok && owner != p {
					p.item(r.subject, Exact, h, "already served by %s (older): left out, as ingress-nginx leaves it out", owner.ref)
					continue
				}
				claimed[k] = p
				if _, ok := byPath[h+" "+r.path]; !ok {
					byPath[h+" "+r.path] = r
				}
				r.owner = p
				kept = append(kept, r)
			}
			p.paths[h] = kept
		}
	}
	b.mergeCanaries(plans, byPath)
	defaults := map[string]bool{}
	for _, p := range plans {
		addAnnotationDefaults(p, defaults, claimed)
	}
	var catchAll *ingressPlan
	for _, p := range plans {
		if p.defaultBackend == nil {
			continue
		}
		if catchAll == nil {
			catchAll = p
			if !defaults[""] {
				addDefault(p, "", p.defaultBackend, "spec.defaultBackend", claimed)
			}
		} else {
			p.item("spec.defaultBackend", Exact, "", "serves the hosts of this Ingress's rules only: %s (older) takes the requests for other hosts", catchAll.ref)
		}
		for _, h := range p.hosts {
			if h != "" && !defaults[h] {
				defaults[h] = true
				addDefault(p, h, p.defaultBackend, "spec.defaultBackend", claimed)
			}
		}
	}
}

// addAnnotationDefaults gives the hosts of p's rules the Service of its default-backend annotation as
// their last rule, unless an older Ingress's annotation took the host: as gatebridge serves it, the
// annotation wins over spec.defaultBackend for those hosts.
func addAnnotationDefaults(p *ingressPlan, defaults map[string]bool, claimed map[string]*ingressPlan) {
	if p.annotationDefault == nil {
		return
	}
	for _, h := range slices.Clone(p.hosts) {
		if defaults[h] {
			p.item(np+"default-backend", Exact, h, "an older Ingress's default-backend already takes this host's unmatched requests, as gatebridge serves it")
			continue
		}
		defaults[h] = true
		addDefault(p, h, p.annotationDefault, np+"default-backend", claimed)
	}
}

// addDefault adds backend as the last rule of host h of p (a default backend), unless a path for "/"
// already takes everything there.
func addDefault(p *ingressPlan, h string, backend []gwapiv1.HTTPBackendRef, subject string, claimed map[string]*ingressPlan) {
	if _, ok := claimed[h+" prefix /"]; ok {
		return
	}
	if !slices.Contains(p.hosts, h) {
		p.hosts = append(p.hosts, h)
	}
	rule := gwapiv1.HTTPRouteRule{Matches: []gwapiv1.HTTPRouteMatch{{Path: new(pathOf(gwapiv1.PathMatchPathPrefix, "/"))}}, BackendRefs: backend}
	p.applyPolicy(&rule)
	p.paths[h] = append(p.paths[h], &pathRule{subject: subject, host: h, key: "prefix /", isDefault: true, rule: rule})
}

// routeHosts are the hosts of a plan that have at least one rule, sorted.
func (p *ingressPlan) routeHosts() []string {
	var out []string
	for _, h := range p.hosts {
		if len(p.paths[h]) > 0 {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out
}

func (p *ingressPlan) routeName(host string) string {
	if len(p.routeHosts()) <= 1 {
		return p.ing.Name
	}
	return p.ing.Name + "-" + hostSlug(host)
}

// planAnnotationDefault reads the default-backend annotation: a Service of the Ingress's namespace, on its
// first port, that takes the requests to the Ingress's hosts that no path takes.
func (b *gwBuilder) planAnnotationDefault(p *ingressPlan) {
	name := p.settings.Routing.Hosts.DefaultBackend
	if name == "" {
		return
	}
	svc := b.services[nsName{p.ing.Namespace, name}]
	if svc != nil && len(svc.Spec.Ports) > 0 {
		p.annotationDefault = []gwapiv1.HTTPBackendRef{{BackendRef: serviceRef(name, svc.Spec.Ports[0].Port)}}
	}
}
