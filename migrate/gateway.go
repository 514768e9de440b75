package migrate

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/certs"
)

// maxListeners is the most listeners a Gateway may have.
const maxListeners = 64

// assignTLS gives each host the certificate of the oldest Ingress that names one for it, as
// ingress-nginx does. A certificate cert-manager issues for an Ingress is issued for the Gateway
// instead, into a Secret of the Gateway's namespace (the gateway-shim issues nowhere else).
func (b *gwBuilder) assignTLS(cb *classBuild) {
	cb.tls = map[string]*hostTLS{}
	for _, p := range cb.plans {
		signature := certManagerSignature(p)
		for i, t := range p.ing.Spec.TLS {
			subject := fmt.Sprintf("spec.tls[%d]", i)
			if t.SecretName == "" {
				p.item(subject, Lost, "", "no secretName: ingress-nginx serves its default certificate for %s; the Gateway has no certificate for it", strings.Join(t.Hosts, ", "))
				continue
			}
			hosts := t.Hosts
			if len(hosts) == 0 {
				hosts = p.hosts
			}
			for _, h := range hosts {
				b.assignHostTLS(cb, p, subject, h, t.SecretName, signature)
			}
		}
	}
}

func (b *gwBuilder) assignHostTLS(cb *classBuild, p *ingressPlan, subject, h, secret, signature string) {
	if h == "" {
		p.item(subject, Lost, "", "TLS for rules without a host: ingress-nginx's default server answers HTTPS for them with its own certificate; the Gateway does not")
		return
	}
	if ph, ok := cb.passthrough[h]; ok {
		p.item(subject, Exact, h, "host passed through by %s (ssl-passthrough): its certificate is not used, as under ingress-nginx", ph.owner.ref)
		return
	}
	if owner, ok := cb.tls[h]; ok {
		if owner.owner != p || owner.secret != secret {
			p.item(subject, Exact, h, "host already uses the certificate of %s (older), as under ingress-nginx", owner.owner.ref)
		}
		return
	}
	t := &hostTLS{owner: p, namespace: p.ing.Namespace, secret: secret, source: p.ing.Namespace + "/" + secret, certManager: signature}
	if gwNamespace := b.gatewayNamespace(p, signature); signature != "" && p.ing.Namespace != gwNamespace {
		t.namespace, t.secret = gwNamespace, p.ing.Namespace+"-"+secret
		p.item(subject, Exact, h, "cert-manager issues the certificate for the Gateway into Secret %s/%s "+
			"(its gateway-shim issues into the Gateway's namespace only); Secret %s/%s is no longer used", t.namespace, t.secret, p.ing.Namespace, secret)
	} else {
		p.item(subject, Exact, h, "HTTPS listener with certificate %s/%s", t.namespace, t.secret)
	}
	cb.tls[h] = t
}

// gatewayNamespace is where the Gateway of an Ingress's hosts goes: the namespace of the Gateways, or the
// Ingress's own when cert-manager issues its certificates from an Issuer (which serves its namespace only).
func (b *gwBuilder) gatewayNamespace(p *ingressPlan, signature string) string {
	if signature != "" && namespacedIssuer(p.ing.Annotations) {
		return p.ing.Namespace
	}
	return b.opts.GatewayNamespace
}

func namespacedIssuer(ann map[string]string) bool {
	kind := ann["cert-manager.io/issuer-kind"]
	return ann["cert-manager.io/issuer"] != "" && (kind == "" || kind == certs.KindIssuer) && ann["cert-manager.io/issuer-group"] == ""
}

// gatewayGroup is the hosts that share one Gateway.
type gatewayGroup struct {
	name, namespace string
	certManager     map[string]string
	hosts           []string
}

// buildGateways makes the Gateways of a class: the hosts whose certificate cert-manager issues go to a
// Gateway that carries the cert-manager annotations of their Ingress (one per set of annotations); the
// others to the Gateway named after the class. A Gateway with more than 64 listeners is split.
func (b *gwBuilder) buildGateways(cb *classBuild) {
	bySignature := map[string][]string{}
	owners := map[string]*ingressPlan{}
	for _, h := range classHosts(cb) {
		sig := ""
		if t := cb.tls[h]; t != nil {
			sig = t.certManager
			owners[sig] = t.owner
		}
		bySignature[sig] = append(bySignature[sig], h)
	}
	cb.listeners = map[string]hostListeners{}
	used := map[string]bool{}
	for _, sig := range slices.Sorted(maps.Keys(bySignature)) {
		base := cb.name
		var ann map[string]string
		namespace := b.opts.GatewayNamespace
		if sig != "" {
			ann = certManagerAnnotations(owners[sig].ing.Annotations)
			base = uniqueName(cb.name+"-"+issuerSlug(ann), used)
			namespace = b.gatewayNamespace(owners[sig], sig)
		}
		used[base] = true
		for i, group := range shardHosts(bySignature[sig], cb) {
			name := base
			if i > 0 {
				name = fmt.Sprintf("%s-%d", base, i+1)
			}
			b.addGateway(cb, gatewayGroup{name: name, namespace: namespace, certManager: ann, hosts: group})
		}
	}
}

func uniqueName(name string, used map[string]bool) string {
	out := name
	for i := 2; used[out]; i++ {
		out = fmt.Sprintf("%s-%d", name, i)
	}
	return out
}

// classHosts are the hosts of a class that have routes or a certificate, sorted ("" first).
func classHosts(cb *classBuild) []string {
	set := map[string]bool{}
	for _, p := range cb.plans {
		for _, h := range p.routeHosts() {
			set[h] = true
		}
	}
	for h := range cb.tls {
		set[h] = true
	}
	for h := range cb.passthrough {
		set[h] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// shardHosts splits hosts into groups of at most maxListeners listeners (two for a host with TLS or
// passed through).
func shardHosts(hosts []string, cb *classBuild) [][]string {
	var out [][]string
	var cur []string
	n := 0
	for _, h := range hosts {
		need := 1
		if cb.tls[h] != nil || cb.passthrough[h] != nil {
			need = 2
		}
		for _, name := range cb.extraNames[h] {
			need++
			if cb.nameTLS[name] != "" {
				need++
			}
		}
		if n+need > maxListeners {
			out = append(out, cur)
			cur, n = nil, 0
		}
		cur = append(cur, h)
		n += need
	}
	return append(out, cur)
}

func (b *gwBuilder) addGateway(cb *classBuild, g gatewayGroup) {
	gw := &gwapiv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Name: g.name, Namespace: g.namespace, Annotations: g.certManager},
		Spec:       gwapiv1.GatewaySpec{GatewayClassName: gwapiv1.ObjectName(b.opts.GatewayClassName)},
	}
	used := map[string]bool{}
	for _, h := range g.hosts {
		hl := hostListeners{gateway: g.name, namespace: g.namespace}
		hl.http = gwapiv1.SectionName(uniqueName(cmp.Or(prefixed("http-", h), "http"), used))
		used[string(hl.http)] = true
		gw.Spec.Listeners = append(gw.Spec.Listeners, listener(hl.http, h, gwapiv1.HTTPProtocolType, 80, nil))
		if t := cb.tls[h]; t != nil {
			hl.https = gwapiv1.SectionName(uniqueName("https-"+sectionSlug(h), used))
			used[string(hl.https)] = true
			gw.Spec.Listeners = append(gw.Spec.Listeners, listener(hl.https, h, gwapiv1.HTTPSProtocolType, 443, certificateRef(g.namespace, t)))
			b.grantSecret(g.namespace, t)
		}
		if cb.passthrough[h] != nil {
			hl.passthrough = gwapiv1.SectionName(uniqueName("tls-"+sectionSlug(h), used))
			used[string(hl.passthrough)] = true
			mode := gwapiv1.TLSModePassthrough
			gw.Spec.Listeners = append(gw.Spec.Listeners, listener(hl.passthrough, h, gwapiv1.TLSProtocolType, 443, &gwapiv1.ListenerTLSConfig{Mode: &mode}))
		}
		cb.listeners[h] = hl
		b.addNameListeners(cb, gw, h, used)
	}
	b.out.gateways = append(b.out.gateways, gw)
	if g.certManager != nil {
		b.action("cert-manager issuer %s: if it answers ACME HTTP-01 challenges with an ingress solver, give it a gatewayHTTPRoute solver "+
			"whose parentRefs name Gateway %s/%s, or the certificates of its listeners will not renew", issuerSlug(g.certManager), g.namespace, g.name)
	}
	for _, p := range cb.plans {
		for _, h := range p.routeHosts() {
			if hl := cb.listeners[h]; hl.gateway == g.name && hl.namespace == g.namespace {
				p.report.Outputs = append(p.report.Outputs, "Gateway/"+g.namespace+"/"+g.name)
			}
		}
	}
}

func prefixed(prefix, host string) string {
	if host == "" {
		return ""
	}
	return prefix + sectionSlug(host)
}

func listener(name gwapiv1.SectionName, host string, proto gwapiv1.ProtocolType, port gwapiv1.PortNumber, tls *gwapiv1.ListenerTLSConfig) gwapiv1.Listener {
	all := gwapiv1.NamespacesFromAll
	l := gwapiv1.Listener{Name: name, Protocol: proto, Port: port, TLS: tls,
		AllowedRoutes: &gwapiv1.AllowedRoutes{Namespaces: &gwapiv1.RouteNamespaces{From: &all}}}
	if host != "" {
		l.Hostname = new(gwapiv1.Hostname(host))
	}
	return l
}

func certificateRef(gwNamespace string, t *hostTLS) *gwapiv1.ListenerTLSConfig {
	ref := gwapiv1.SecretObjectReference{Name: gwapiv1.ObjectName(t.secret)}
	if t.namespace != gwNamespace {
		ref.Namespace = new(gwapiv1.Namespace(t.namespace))
	}
	mode := gwapiv1.TLSModeTerminate
	return &gwapiv1.ListenerTLSConfig{Mode: &mode, CertificateRefs: []gwapiv1.SecretObjectReference{ref}}
}

// certManagerSignature identifies the cert-manager settings of an Ingress whose certificates
// cert-manager issues: its cert-manager annotations, as key=value lines; "" when it issues none.
func certManagerSignature(p *ingressPlan) string {
	wanted, _ := certs.IngressCertificates(p.ing, certs.ShimOptions{})
	if len(wanted) == 0 {
		return ""
	}
	ann := certManagerAnnotations(p.ing.Annotations)
	var lines []string
	if namespacedIssuer(ann) {
		lines = append(lines, "namespace="+p.ing.Namespace)
	}
	for _, k := range slices.Sorted(maps.Keys(ann)) {
		lines = append(lines, k+"="+ann[k])
	}
	return strings.Join(lines, "\n")
}

// certManagerAnnotations are the cert-manager.io annotations of an Ingress, which the gateway-shim reads
// on a Gateway as the ingress-shim reads them on an Ingress.
func certManagerAnnotations(ann map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range ann {
		if strings.HasPrefix(k, "cert-manager.io/") {
			out[k] = v
		}
	}
	return out
}

// issuerSlug names a Gateway after the issuer its annotations name.
func issuerSlug(ann map[string]string) string {
	return strings.ToLower(cmp.Or(ann["cert-manager.io/cluster-issuer"], ann["cert-manager.io/issuer"], "cert-manager"))
}

// grantSecret records that a Gateway refers to a Secret of another namespace: a ReferenceGrant there
// must allow it.
func (b *gwBuilder) grantSecret(gwNamespace string, t *hostTLS) {
	if t.namespace == gwNamespace {
		return
	}
	if b.out.grants == nil {
		b.out.grants = map[string]map[string]bool{}
	}
	if b.out.grants[t.namespace] == nil {
		b.out.grants[t.namespace] = map[string]bool{}
	}
	b.out.grants[t.namespace][t.secret] = true
	t.owner.report.Outputs = append(t.owner.report.Outputs, "ReferenceGrant/"+t.namespace+"/"+b.grantName())
}

func (b *gwBuilder) grantName() string { return "gateways-" + b.opts.GatewayNamespace }

// referenceGrants allow the Gateways of the migration to use the Secrets of other namespaces, by name
// (a ReferenceGrant lists at most 16 targets; beyond, it allows every Secret of its namespace).
func (b *gwBuilder) referenceGrants() []*gwapiv1.ReferenceGrant {
	var out []*gwapiv1.ReferenceGrant
	for _, ns := range slices.Sorted(maps.Keys(b.out.grants)) {
		g := &gwapiv1.ReferenceGrant{
			ObjectMeta: metav1.ObjectMeta{Name: b.grantName(), Namespace: ns},
			Spec: gwapiv1.ReferenceGrantSpec{From: []gwapiv1.ReferenceGrantFrom{{
				Group: gwapiv1.GroupName, Kind: "Gateway", Namespace: gwapiv1.Namespace(b.opts.GatewayNamespace),
			}}},
		}
		names := slices.Sorted(maps.Keys(b.out.grants[ns]))
		if len(names) > 16 {
			g.Spec.To = []gwapiv1.ReferenceGrantTo{{Group: "", Kind: "Secret"}}
		}
		for _, n := range names {
			if len(names) <= 16 {
				g.Spec.To = append(g.Spec.To, gwapiv1.ReferenceGrantTo{Group: "", Kind: "Secret", Name: new(gwapiv1.ObjectName(n))})
			}
		}
		out = append(out, g)
	}
	return out
}

// addNameListeners adds the listeners of the aliases and www redirect names of host h that are not hosts
// of the class: HTTP, and HTTPS with the host's certificate when it covers the name.
func (b *gwBuilder) addNameListeners(cb *classBuild, gw *gwapiv1.Gateway, h string, used map[string]bool) {
	for _, name := range cb.extraNames[h] {
		nl := hostListeners{gateway: gw.Name, namespace: gw.Namespace}
		nl.http = gwapiv1.SectionName(uniqueName("http-"+sectionSlug(name), used))
		used[string(nl.http)] = true
		gw.Spec.Listeners = append(gw.Spec.Listeners, listener(nl.http, name, gwapiv1.HTTPProtocolType, 80, nil))
		if t := cb.tls[h]; t != nil && cb.nameTLS[name] != "" {
			nl.https = gwapiv1.SectionName(uniqueName("https-"+sectionSlug(name), used))
			used[string(nl.https)] = true
			gw.Spec.Listeners = append(gw.Spec.Listeners, listener(nl.https, name, gwapiv1.HTTPSProtocolType, 443, certificateRef(gw.Namespace, t)))
		}
		cb.listeners[name] = nl
	}
}
