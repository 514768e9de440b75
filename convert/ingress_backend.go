package convert

import (
	"cmp"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	istionet "istio.io/api/networking/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/annotations"
)

// ingressSubsets are the DestinationRule subsets Ingresses ask of their backend Services: by Service,
// by subset name, with the Ingresses that ask for each Service's.
type ingressSubsets struct {
	subsets map[nsName]map[string]*istionet.Subset
	sources map[nsName]map[string]bool
}

// ingressSubsetName names the subset that carries the backend settings of an Ingress.
func ingressSubsetName(ing *networkingv1.Ingress) string {
	return "ing-" + ing.Namespace + "-" + ing.Name
}

// useIngressSubset points dest, a port of Service svc, at the subset of the Service that carries the
// backend settings of p's Ingress (backend-protocol, proxy-ssl-*, proxy-connect-timeout, affinity,
// load-balance, upstream-hash-by),
// registering it; an Ingress that asks for none of them needs no subset. It returns false when the
// settings cannot be honoured safely: the path must then answer 503.
func (t *translator) useIngressSubset(dest *istionet.Destination, svc nsName, p ingressPath, r annotations.NginxRouting) bool {
	tp, err := t.ingressTrafficPolicy(p.ing, dest.Host, r, nginxBalancing(r))
	if err != nil {
		t.note(ingressRef(p.ing), NoteWarning, ReasonInvalidSecret, "%s: %v; requests get 503", p.what, err)
		return false
	}
	if r.Affinity != nil && r.Affinity.CookiePath == "" && p.path.value != "/" && tp != nil {
		t.note(ingressRef(p.ing), NoteWarning, ReasonApproximatedAnnotation,
			"annotation %ssession-cookie-path is not set: the affinity cookie's path is / (ingress-nginx uses the path of each rule)", annotations.NginxPrefix)
	}
	t.registerSubset(dest, svc, ingressSubsetName(p.ing), p.ing, tp)
	return true
}

// registerSubset names a subset of Service svc with traffic policy tp for dest, asked by Ingress ing;
// a nil tp needs no subset.
func (t *translator) registerSubset(dest *istionet.Destination, svc nsName, name string, ing *networkingv1.Ingress, tp *istionet.TrafficPolicy) {
	if tp == nil {
		return
	}
	s := &t.subsets
	if s.subsets == nil {
		s.subsets, s.sources = map[nsName]map[string]*istionet.Subset{}, map[nsName]map[string]bool{}
	}
	if s.subsets[svc] == nil {
		s.subsets[svc], s.sources[svc] = map[string]*istionet.Subset{}, map[string]bool{}
	}
	s.subsets[svc][name] = &istionet.Subset{Name: name, TrafficPolicy: tp}
	s.sources[svc][ingressRef(ing).String()] = true
	dest.Subset = name
}

// ingressTrafficPolicy is the traffic policy of a subset for the Service of host: the backend settings
// of r, asked by Ingress ing, with the load balancer lb; nil when it asks for nothing.
func (t *translator) ingressTrafficPolicy(ing *networkingv1.Ingress, host string, r annotations.NginxRouting, lb *istionet.LoadBalancerSettings) (*istionet.TrafficPolicy, error) {
	tp := &istionet.TrafficPolicy{LoadBalancer: lb}
	if r.Backend.HTTP2() || r.Upstream.ConnectTimeout > 0 {
		tp.ConnectionPool = &istionet.ConnectionPoolSettings{}
	}
	if r.Backend.HTTP2() {
		tp.ConnectionPool.Http = &istionet.ConnectionPoolSettings_HTTPSettings{H2UpgradePolicy: istionet.ConnectionPoolSettings_HTTPSettings_UPGRADE}
	}
	if d := r.Upstream.ConnectTimeout; d > 0 {
		tp.ConnectionPool.Tcp = &istionet.ConnectionPoolSettings_TCPSettings{ConnectTimeout: durationpb.New(d)}
	}
	if r.Backend.TLS() {
		tls, err := t.backendTLS(ing, r.Backend.ProxySSL, host)
		if err != nil {
			return nil, err
		}
		tp.Tls = tls
	}
	if proto.Equal(tp, &istionet.TrafficPolicy{}) {
		return nil, nil
	}
	return tp, nil
}

// nginxBalancing is how an Ingress's backend spreads requests: its cookie affinity, else its
// load-balance or upstream-hash-by; nil for round robin.
func nginxBalancing(r annotations.NginxRouting) *istionet.LoadBalancerSettings {
	if r.Affinity != nil {
		return cookieAffinity(r.Affinity)
	}
	return nginxLoadBalancer(r.LoadBalance)
}

// errNoCA: verification is asked without a usable CA.
var errNoCA = errors.New("proxy-ssl-verify is on but no usable proxy-ssl-secret holds the ca.crt to verify the backend with")

// backendTLS is TLS origination to a backend (backend-protocol HTTPS or GRPCS). As ingress-nginx, the
// backend's certificate is not verified unless proxy-ssl-verify is on.
func (t *translator) backendTLS(ing *networkingv1.Ingress, ps annotations.NginxProxySSL, host string) (*istionet.ClientTLSSettings, error) {
	tls := &istionet.ClientTLSSettings{Mode: istionet.ClientTLSSettings_SIMPLE, InsecureSkipVerify: wrapperspb.Bool(!ps.Verify)}
	hasCA := false
	if ps.SecretName != "" {
		ca, pair, err := t.proxySSLSecret(ing, ps)
		if err != nil {
			t.note(ingressRef(ing), NoteWarning, ReasonInvalidAnnotation, "annotation %sproxy-ssl-secret: %v; it has no effect", annotations.NginxPrefix, err)
		} else {
			tls.CredentialName, hasCA = ps.SecretNamespace+"/"+ps.SecretName, ca
			if pair {
				tls.Mode = istionet.ClientTLSSettings_MUTUAL
			}
		}
	}
	if ps.Verify {
		if !hasCA {
			return nil, errNoCA
		}
		if ps.Name != "" {
			tls.SubjectAltNames = []string{ps.Name}
		}
	}
	if ps.ServerName {
		tls.Sni = cmp.Or(ps.Name, host)
	}
	return tls, nil
}

// proxySSLSecret checks the Secret of proxy-ssl-secret: in the Ingress's namespace, holding ca.crt
// and/or a client certificate pair.
func (t *translator) proxySSLSecret(ing *networkingv1.Ingress, ps annotations.NginxProxySSL) (ca, pair bool, err error) {
	if ps.SecretNamespace != ing.Namespace {
		return false, false, fmt.Errorf("secret %s/%s is not in the Ingress's namespace %s", ps.SecretNamespace, ps.SecretName, ing.Namespace)
	}
	s := t.findSecret(ps.SecretNamespace, ps.SecretName)
	if s == nil {
		return false, false, fmt.Errorf("secret %s/%s not found", ps.SecretNamespace, ps.SecretName)
	}
	ca = secretHas(s, "ca.crt")
	pair = secretHas(s, corev1.TLSCertKey) && secretHas(s, corev1.TLSPrivateKeyKey)
	if !ca && !pair {
		return false, false, fmt.Errorf("secret %s/%s has neither ca.crt nor tls.crt and tls.key", s.Namespace, s.Name)
	}
	return ca, pair, nil
}

// secretHas reports whether a Secret has a key (in data, or in stringData as a manifest may give it).
func secretHas(s *corev1.Secret, key string) bool {
	return len(s.Data[key]) > 0 || s.StringData[key] != ""
}

// cookieAffinity hashes requests on a cookie that Envoy sets when the request has none.
func cookieAffinity(a *annotations.NginxAffinity) *istionet.LoadBalancerSettings {
	c := &istionet.LoadBalancerSettings_ConsistentHashLB_HTTPCookie{Name: a.CookieName, Path: cmp.Or(a.CookiePath, "/"), Ttl: durationpb.New(a.TTL)}
	if a.Secure {
		c.Attributes = append(c.Attributes, &istionet.LoadBalancerSettings_ConsistentHashLB_HTTPCookie_Attribute{Name: "Secure"})
	}
	if a.SameSite != "" {
		c.Attributes = append(c.Attributes, &istionet.LoadBalancerSettings_ConsistentHashLB_HTTPCookie_Attribute{Name: "SameSite", Value: a.SameSite})
	}
	if a.Domain != "" {
		c.Attributes = append(c.Attributes, &istionet.LoadBalancerSettings_ConsistentHashLB_HTTPCookie_Attribute{Name: "Domain", Value: a.Domain})
	}
	return &istionet.LoadBalancerSettings{LbPolicy: &istionet.LoadBalancerSettings_ConsistentHash{ConsistentHash: &istionet.LoadBalancerSettings_ConsistentHashLB{
		HashKey: &istionet.LoadBalancerSettings_ConsistentHashLB_HttpCookie{HttpCookie: c},
	}}}
}

// nginxLoadBalancer is load-balance (ewma: least request) or upstream-hash-by (a consistent hash of
// the key); nil for round robin, the default.
func nginxLoadBalancer(lb annotations.NginxLoadBalance) *istionet.LoadBalancerSettings {
	if h := lb.Hash; h != nil {
		ch := &istionet.LoadBalancerSettings_ConsistentHashLB{}
		switch {
		case h.SourceIP:
			ch.HashKey = &istionet.LoadBalancerSettings_ConsistentHashLB_UseSourceIp{UseSourceIp: true}
		case h.Header != "":
			ch.HashKey = &istionet.LoadBalancerSettings_ConsistentHashLB_HttpHeaderName{HttpHeaderName: h.Header}
		case h.Cookie != "":
			// Without a ttl, Envoy hashes the cookie but never sets it.
			ch.HashKey = &istionet.LoadBalancerSettings_ConsistentHashLB_HttpCookie{HttpCookie: &istionet.LoadBalancerSettings_ConsistentHashLB_HTTPCookie{Name: h.Cookie}}
		case h.QueryParameter != "":
			ch.HashKey = &istionet.LoadBalancerSettings_ConsistentHashLB_HttpQueryParameterName{HttpQueryParameterName: h.QueryParameter}
		}
		return &istionet.LoadBalancerSettings{LbPolicy: &istionet.LoadBalancerSettings_ConsistentHash{ConsistentHash: ch}}
	}
	if lb.LeastRequest {
		return &istionet.LoadBalancerSettings{LbPolicy: &istionet.LoadBalancerSettings_Simple{Simple: istionet.LoadBalancerSettings_LEAST_REQUEST}}
	}
	return nil
}
