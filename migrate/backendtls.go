package migrate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/certs"
)

// backendTLSKeys are the ingress-nginx keys of TLS to the backends.
var backendTLSKeys = []string{"backend-protocol", "proxy-ssl-secret", "proxy-ssl-verify", "proxy-ssl-name", "proxy-ssl-server-name"}

// unknownClientCert marks a proxy-ssl-secret that is not in the input: whether it holds a client
// certificate is not known.
const unknownClientCert = "?"

// tlsTarget is what a BackendTLSPolicy targets: a Service, or one named port of it.
type tlsTarget struct{ namespace, service, section string }

// backendTLSClaim is the BackendTLSPolicy made for a target, with the Ingress it was made for.
type backendTLSClaim struct {
	owner              *ingressPlan
	name               string
	hostname, caConfig string
}

// proxySSL is what the proxy-ssl-* keys of one Ingress ask: the validation of a BackendTLSPolicy.
type proxySSL struct {
	// caConfig names the ConfigMap (of the Ingress's namespace) holding the CA certificate.
	caConfig string
	// hostname is given by proxy-ssl-name ("" when unset: each Service's own name is used).
	hostname string
}

// mapBackendTLS carries backend-protocol HTTPS or GRPCS with proxy-ssl-verify on over to a BackendTLSPolicy
// per Service (port) the Ingress sends to, with the CA of proxy-ssl-secret in a ConfigMap. TLS without
// verification cannot be carried over: a BackendTLSPolicy always verifies.
func (b *gwBuilder) mapBackendTLS(p *ingressPlan, done reporter) {
	ps := p.settings.Routing.Backend.ProxySSL
	lost := func(why string) { done(Lost, "%s", []any{why}, backendTLSKeys...) }
	switch {
	case !ps.Verify:
		lost("TLS to the backend without verifying its certificate (proxy-ssl-verify is not \"on\"): a BackendTLSPolicy always verifies the certificate (a CA and a hostname) " +
			"and Gateway API has no TLS without it, so none is made and the routes speak plain HTTP to the port; verify the backend (proxy-ssl-verify, proxy-ssl-secret with its CA, proxy-ssl-name) and migrate again, or write a BackendTLSPolicy by hand")
		return
	case ps.SecretName == "":
		lost("proxy-ssl-verify is on without proxy-ssl-secret: there is no CA to verify the backend with (gatebridge answers 503 for the Ingress's paths); name the Secret of the CA and migrate again")
		return
	case ps.SecretNamespace != p.ing.Namespace:
		lost(fmt.Sprintf("proxy-ssl-secret %s/%s is not in the Ingress's namespace: gatebridge refuses it (503), and a BackendTLSPolicy names ConfigMaps of its own namespace only", ps.SecretNamespace, ps.SecretName))
		return
	}
	ssl, ok := b.proxySSLMaterial(p, done)
	if !ok {
		return
	}
	ssl.hostname = ps.Name
	var names []string
	for _, t := range b.tlsTargets(p) {
		if name, ok := b.claimBackendTLS(p, t, ssl); ok && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	p.backendTLS = len(names) > 0
	if p.backendTLS {
		p.proxySSL = &ssl
	}
	slices.Sort(names)
	b.reportBackendTLS(p, names, done)
}

// proxySSLMaterial reads the proxy-ssl-secret of p: its ca.crt goes to a ConfigMap of the same name (made
// when the Secret is in the input, an action otherwise); whether it holds a client certificate is kept for
// the Gateway. Only ca.crt is ever copied.
func (b *gwBuilder) proxySSLMaterial(p *ingressPlan, done reporter) (proxySSL, bool) {
	ps := p.settings.Routing.Backend.ProxySSL
	out := proxySSL{caConfig: ps.SecretName}
	i := slices.IndexFunc(b.in.Secrets, func(s corev1.Secret) bool { return s.Namespace == ps.SecretNamespace && s.Name == ps.SecretName })
	if i < 0 {
		p.clientCert = unknownClientCert
		b.action("ConfigMap %s/%s (BackendTLSPolicy CA of %s): create it with key %s holding the %s of Secret %s/%s (the CA only, never tls.key)",
			ps.SecretNamespace, ps.SecretName, p.ref, certs.CACertKey, certs.CACertKey, ps.SecretNamespace, ps.SecretName)
		done(Approximated, "Secret %s/%s is not in the input: its %s goes to ConfigMap %s (see the actions); if it also holds a client certificate (tls.crt, tls.key), "+
			"no BackendTLSPolicy field carries it (the Gateway's spec.tls.backend could): add it by hand", []any{ps.SecretNamespace, ps.SecretName, certs.CACertKey, ps.SecretName}, "proxy-ssl-secret")
		return out, true
	}
	s := &b.in.Secrets[i]
	ca := secretValue(s, certs.CACertKey)
	if err := certs.CheckCABundle([]byte(ca)); strings.TrimSpace(ca) == "" || err != nil {
		why := fmt.Sprintf("Secret %s/%s has no usable %s (%v): there is no CA to verify the backend with (gatebridge answers 503 for the Ingress's paths)", s.Namespace, s.Name, certs.CACertKey, err)
		done(Lost, "%s", []any{why}, backendTLSKeys...)
		return out, false
	}
	b.addCAConfigMap(p, s.Namespace, s.Name, ca)
	if secretValue(s, corev1.TLSCertKey) != "" && secretValue(s, corev1.TLSPrivateKeyKey) != "" {
		p.clientCert = s.Namespace + "/" + s.Name
	}
	return out, true
}

func secretValue(s *corev1.Secret, key string) string {
	if v, ok := s.Data[key]; ok {
		return string(v)
	}
	return s.StringData[key]
}

// addCAConfigMap emits (once) the ConfigMap holding the CA certificate of a Secret: ca.crt and nothing else.
func (b *gwBuilder) addCAConfigMap(p *ingressPlan, namespace, name, ca string) {
	p.report.Outputs = append(p.report.Outputs, "ConfigMap/"+namespace+"/"+name)
	if b.caConfigs[nsName{namespace, name}] {
		return
	}
	b.caConfigs[nsName{namespace, name}] = true
	cm := corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: sourceLabels(p)}, Data: map[string]string{certs.CACertKey: ca}}
	d, err := document("v1", "ConfigMap", cm)
	if err != nil {
		p.item("ConfigMap", Lost, "", "cannot print the ConfigMap: %v", err)
		return
	}
	b.out.extra = append(b.out.extra, d)
}

// tlsTargets are the Service ports p sends to, as BackendTLSPolicy targets.
func (b *gwBuilder) tlsTargets(p *ingressPlan) []tlsTarget {
	var refs []gwapiv1.HTTPBackendRef
	p.eachRule(func(r *pathRule) { refs = append(refs, r.rule.BackendRefs...) })
	refs = append(append(refs, p.defaultBackend...), p.annotationDefault...)
	return b.backendTargets(p.ing.Namespace, refs)
}

// backendTargets are the Service ports of refs (of namespace) as BackendTLSPolicy targets, sorted: the
// port's name is the sectionName when the Service of the input names it.
func (b *gwBuilder) backendTargets(namespace string, refs []gwapiv1.HTTPBackendRef) []tlsTarget {
	var out []tlsTarget
	for _, r := range refs {
		t := tlsTarget{namespace: namespace, service: string(r.Name)}
		if svc := b.services[nsName{t.namespace, t.service}]; svc != nil && r.Port != nil {
			for _, sp := range svc.Spec.Ports {
				if sp.Port == *r.Port {
					t.section = sp.Name
				}
			}
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b tlsTarget) int {
		return cmp.Or(cmp.Compare(a.service, b.service), cmp.Compare(a.section, b.section))
	})
	return out
}

// claimBackendTLS makes the BackendTLSPolicy of a target, unless an older Ingress's made one: a
// BackendTLSPolicy holds for every route to the port, where ingress-nginx set TLS per Ingress.
func (b *gwBuilder) claimBackendTLS(p *ingressPlan, t tlsTarget, ssl proxySSL) (string, bool) {
	hostname := cmp.Or(ssl.hostname, t.service+"."+t.namespace+".svc")
	if c, ok := b.tlsClaims[t]; ok {
		if c.hostname != hostname || c.caConfig != ssl.caConfig {
			p.item(np+"proxy-ssl-secret", Lost, "", "Service %s already has BackendTLSPolicy %s of %s (older: CA %s, hostname %s): one policy holds for every route to a port, "+
				"where ingress-nginx verified each Ingress's own way; the older one applies to this Ingress's requests too", t.service, c.name, c.owner.ref, c.caConfig, c.hostname)
			return "", false
		}
		return c.name, true
	}
	name := t.service
	if t.section != "" {
		name += "-" + t.section
	}
	target := gwapiv1.LocalPolicyTargetReferenceWithSectionName{LocalPolicyTargetReference: gwapiv1.LocalPolicyTargetReference{Kind: "Service", Name: gwapiv1.ObjectName(t.service)}}
	if t.section != "" {
		target.SectionName = new(gwapiv1.SectionName(t.section))
	}
	b.out.backendTLS = append(b.out.backendTLS, &gwapiv1.BackendTLSPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: t.namespace, Labels: sourceLabels(p)},
		Spec: gwapiv1.BackendTLSPolicySpec{TargetRefs: []gwapiv1.LocalPolicyTargetReferenceWithSectionName{target},
			Validation: gwapiv1.BackendTLSPolicyValidation{Hostname: gwapiv1.PreciseHostname(hostname),
				CACertificateRefs: []gwapiv1.LocalObjectReference{{Group: "", Kind: "ConfigMap", Name: gwapiv1.ObjectName(ssl.caConfig)}}}},
	})
	b.tlsClaims[t] = &backendTLSClaim{owner: p, name: name, hostname: hostname, caConfig: ssl.caConfig}
	p.report.Outputs = append(p.report.Outputs, "BackendTLSPolicy/"+t.namespace+"/"+name)
	return name, true
}

// reportBackendTLS reports the keys of TLS to the backend once its BackendTLSPolicies are made.
func (b *gwBuilder) reportBackendTLS(p *ingressPlan, names []string, done reporter) {
	ps := p.settings.Routing.Backend.ProxySSL
	if len(names) == 0 {
		done(Lost, "%s", []any{"no Service port of this Ingress could get a BackendTLSPolicy (see proxy-ssl-secret)"}, "backend-protocol", "proxy-ssl-verify", "proxy-ssl-name", "proxy-ssl-server-name")
		return
	}
	policies := strings.Join(names, ", ")
	proto := "TLS"
	if p.settings.Routing.Backend.HTTP2() {
		proto = "gRPC over TLS (HTTP/2: each host's item says with which route kind)"
	}
	done(Exact, "%s to the backend: BackendTLSPolicy %s on the Services this Ingress sends to", []any{proto, policies}, "backend-protocol")
	done(Exact, "the backend's certificate is verified against ConfigMap %s's %s (BackendTLSPolicy %s)", []any{ps.SecretName, certs.CACertKey, policies}, "proxy-ssl-secret")
	if ps.Name == "" {
		done(Approximated, "%s", []any{"no proxy-ssl-name: each BackendTLSPolicy verifies the name <service>.<namespace>.svc and sends it as SNI (ingress-nginx verified the name of its " +
			"upstream, proxy_ssl_name's default, and gatebridge the chain only): the backend's certificate must hold that name"}, "proxy-ssl-verify")
		done(Approximated, "%s", []any{"SNI is <service>.<namespace>.svc, the hostname of the BackendTLSPolicy"}, "proxy-ssl-server-name")
		return
	}
	done(Exact, "the backend's certificate is verified (BackendTLSPolicy %s)", []any{policies}, "proxy-ssl-verify")
	if ps.ServerName {
		done(Exact, "validation.hostname %s: verified in the backend's certificate and sent as SNI", []any{ps.Name}, "proxy-ssl-name", "proxy-ssl-server-name")
		return
	}
	done(Approximated, "validation.hostname %s is verified and also sent as SNI, which ingress-nginx did not send without proxy-ssl-server-name \"on\"", []any{ps.Name}, "proxy-ssl-name", "proxy-ssl-server-name")
}

// backendClientCertificates gives each Gateway of a class the client certificate of its TLS backends when
// they all present the same one (Gateway API has one per Gateway, spec.tls.backend.clientCertificateRef,
// and none per BackendTLSPolicy); otherwise the client certificates are lost.
func (b *gwBuilder) backendClientCertificates(cb *classBuild) {
	for _, gw := range b.out.gateways {
		var plans []*ingressPlan
		certs := map[string]bool{}
		for _, p := range cb.plans {
			if p.backendTLS && p.attachesTo(cb, gw) {
				plans, certs[p.clientCert] = append(plans, p), true
			}
		}
		if len(certs) == 1 && !certs[""] && !certs[unknownClientCert] {
			b.setClientCertificate(gw, plans)
			continue
		}
		for _, p := range plans {
			if p.clientCert != "" && p.clientCert != unknownClientCert {
				p.item(np+"proxy-ssl-secret", Lost, "", "Secret %s also holds a client certificate (tls.crt, tls.key): BackendTLSPolicy has no field for one, and the one of Gateway %s "+
					"(spec.tls.backend.clientCertificateRef) would be presented to every TLS backend of it, which do not all ask for this one (%s): not carried over, the backend gets no client certificate",
					p.clientCert, gw.Name, strings.Join(slices.Sorted(func(yield func(string) bool) {
						for c := range certs {
							if !yield(cmp.Or(c, "none")) {
								return
							}
						}
					}), ", "))
			}
		}
	}
}

// attachesTo says whether a route of p attaches to gw.
func (p *ingressPlan) attachesTo(cb *classBuild, gw *gwapiv1.Gateway) bool {
	for _, h := range p.routeHosts() {
		if hl := cb.listeners[h]; hl.gateway == gw.Name && hl.namespace == gw.Namespace {
			return true
		}
	}
	return false
}

func (b *gwBuilder) setClientCertificate(gw *gwapiv1.Gateway, plans []*ingressPlan) {
	ns, name, _ := strings.Cut(plans[0].clientCert, "/")
	ref := gwapiv1.SecretObjectReference{Name: gwapiv1.ObjectName(name)}
	if ns != gw.Namespace {
		ref.Namespace = new(gwapiv1.Namespace(ns))
		b.grantSecret(gw.Namespace, &hostTLS{owner: plans[0], namespace: ns, secret: name})
	}
	gw.Spec.TLS = &gwapiv1.GatewayTLSConfig{Backend: &gwapiv1.GatewayBackendTLS{ClientCertificateRef: &ref}}
	for _, p := range plans {
		p.item(np+"proxy-ssl-secret", Exact, "", "its client certificate (tls.crt, tls.key) is Gateway %s's spec.tls.backend.clientCertificateRef, presented to the backends "+
			"BackendTLSPolicies originate TLS to, as every verified TLS backend of that Gateway asks for the same one", gw.Name)
	}
}
