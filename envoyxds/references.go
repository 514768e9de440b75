package envoyxds

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// checkReferences reports every name a resource uses that the fleet's resources do not define (a route
// configuration a listener loads over RDS, a secret it loads over SDS, a cluster a route or a TCP proxy
// sends to, the endpoints of an EDS cluster, a secret a cluster's TLS context loads), and every route configuration or endpoints resource
// nothing uses. It also checks that each secret's certificate and key parse and belong together. Envoy would otherwise wait forever for the missing resource (listeners
// stay warming) or fail requests without saying why.
func (r *Resources) checkReferences() error {
	routes, clusters, endpoints, secrets := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, rc := range r.Routes {
		routes[rc.Name] = false
	}
	for _, c := range r.Clusters {
		clusters[c.Name] = false
	}
	for _, e := range r.Endpoints {
		endpoints[e.ClusterName] = false
	}
	for _, s := range r.Secrets {
		secrets[s.Name] = false
	}
	var errs []error
	// The maps say whether something uses each name; a name missing from them is not defined.
	missing := func(kind, name, what string, defined map[string]bool, ref string) {
		if _, ok := defined[ref]; !ok {
			errs = append(errs, fmt.Errorf("%w: %s %q uses %s %q, which is not defined", ErrInvalid, kind, name, what, ref))
			return
		}
		defined[ref] = true
	}
	for _, l := range r.Listeners {
		for _, fc := range l.FilterChains {
			certs, cas := sdsNames(fc)
			for _, name := range append(certs, cas...) {
				missing("listener", l.Name, "secret", secrets, name)
			}
			for _, f := range fc.Filters {
				hcm, tp := networkFilter(f)
				if rds := hcm.GetRds().GetRouteConfigName(); rds != "" {
					missing("listener", l.Name, "route configuration", routes, rds)
				}
				for _, vh := range hcm.GetRouteConfig().GetVirtualHosts() { // an inline route configuration
					for _, rt := range vh.Routes {
						for _, c := range routeClusters(rt.GetRoute()) {
							missing("listener", l.Name, "cluster", clusters, c)
						}
					}
				}
				for _, b := range tcpBackends(tp) {
					if b.Cluster != "" { // a TCP proxy may name no cluster: Envoy closes its connections
						missing("listener", l.Name, "cluster", clusters, b.Cluster)
					}
				}
			}
		}
	}
	for _, rc := range r.Routes {
		for _, vh := range rc.VirtualHosts {
			for _, rt := range vh.Routes {
				for _, c := range routeClusters(rt.GetRoute()) {
					missing("route", rc.Name, "cluster", clusters, c)
				}
			}
		}
	}
	for _, c := range r.Clusters {
		if c.GetEdsClusterConfig() != nil {
			missing("cluster", c.Name, "endpoints", endpoints, c.Name)
		}
		for _, name := range upstreamSDSNames(c) {
			missing("cluster", c.Name, "secret", secrets, name)
		}
	}
	// The xDS cache refuses a snapshot holding route configurations or endpoints nothing loads.
	unused := func(kind string, used map[string]bool) {
		for _, name := range sortedKeys(used) {
			if !used[name] {
				errs = append(errs, fmt.Errorf("%w: %s %q is not used by any resource", ErrInvalid, kind, name))
			}
		}
	}
	unused("route configuration", routes)
	unused("endpoints", endpoints)
	for _, s := range r.Secrets {
		errs = append(errs, checkSecretMaterial(s))
	}
	return errors.Join(errs...)
}

// checkSecretMaterial checks that a secret's certificate and key parse and belong together, or that
// its CA certificates parse.
func checkSecretMaterial(s *tlsv3.Secret) error {
	if vc := s.GetValidationContext(); vc != nil {
		if !x509.NewCertPool().AppendCertsFromPEM(vc.GetTrustedCa().GetInlineBytes()) {
			return fmt.Errorf("%w: secret %q: no CA certificate parses", ErrInvalid, s.Name)
		}
		return nil
	}
	tc := s.GetTlsCertificate()
	if _, err := tls.X509KeyPair(tc.GetCertificateChain().GetInlineBytes(), tc.GetPrivateKey().GetInlineBytes()); err != nil {
		return fmt.Errorf("%w: secret %q: certificate and key: %w", ErrInvalid, s.Name, err)
	}
	return nil
}

// upstreamSDSNames are the secrets a cluster's TLS context loads over SDS: certificates and CA.
func upstreamSDSNames(c *clusterv3.Cluster) []string {
	ts := c.GetTransportSocket()
	if ts == nil {
		return nil
	}
	ctx := &tlsv3.UpstreamTlsContext{}
	if err := ts.GetTypedConfig().UnmarshalTo(ctx); err != nil {
		return nil // not a TLS context of ours; validateDeep checks what it is
	}
	var out []string
	for _, s := range ctx.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
		out = append(out, s.Name)
	}
	return append(out, validationSDSNames(ctx.GetCommonTlsContext())...)
}

// validationSDSNames are the CA certificates a TLS context loads over SDS to verify its peer.
func validationSDSNames(common *tlsv3.CommonTlsContext) []string {
	var out []string
	if vc := common.GetCombinedValidationContext().GetValidationContextSdsSecretConfig(); vc != nil {
		out = append(out, vc.Name)
	}
	if vc := common.GetValidationContextSdsSecretConfig(); vc != nil {
		out = append(out, vc.Name)
	}
	return out
}

// sdsNames are the certificates a filter chain's TLS context loads over SDS, and the CA certificates
// (cas) that verify client certificates.
func sdsNames(fc *listenerv3.FilterChain) (certs, cas []string) {
	ts := fc.GetTransportSocket()
	if ts == nil {
		return nil, nil
	}
	ctx := &tlsv3.DownstreamTlsContext{}
	if err := ts.GetTypedConfig().UnmarshalTo(ctx); err != nil {
		return nil, nil // not a TLS context of ours; validateDeep checks what it is
	}
	for _, s := range ctx.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
		certs = append(certs, s.Name)
	}
	return certs, validationSDSNames(ctx.GetCommonTlsContext())
}

// networkFilter unpacks the network filters this package builds: an HTTP connection manager or a TCP
// proxy (both nil for another filter).
func networkFilter(f *listenerv3.Filter) (*hcmv3.HttpConnectionManager, *tcpproxyv3.TcpProxy) {
	cfg, err := f.GetTypedConfig().UnmarshalNew()
	if err != nil {
		return nil, nil
	}
	hcm, _ := cfg.(*hcmv3.HttpConnectionManager)
	tp, _ := cfg.(*tcpproxyv3.TcpProxy)
	return hcm, tp
}

// tcpBackends are the clusters a TCP proxy sends to, with their weights.
func tcpBackends(tp *tcpproxyv3.TcpProxy) []Backend {
	switch c := tp.GetClusterSpecifier().(type) {
	case *tcpproxyv3.TcpProxy_Cluster:
		return []Backend{{Cluster: c.Cluster, Weight: 1}}
	case *tcpproxyv3.TcpProxy_WeightedClusters:
		var out []Backend
		for _, cw := range c.WeightedClusters.GetClusters() {
			out = append(out, Backend{Cluster: cw.Name, Weight: cw.Weight})
		}
		return out
	}
	return nil
}

// routeClusters are the clusters a route action sends or mirrors to. The unresolved-backend name is
// left out when the action answers 500 for it.
func routeClusters(ra *routev3.RouteAction) []string {
	if ra == nil {
		return nil
	}
	var out []string
	add := func(name string) {
		if name == UnresolvedCluster && ra.ClusterNotFoundResponseCode == routev3.RouteAction_INTERNAL_SERVER_ERROR {
			return
		}
		out = append(out, name)
	}
	if c := ra.GetCluster(); c != "" {
		add(c)
	}
	for _, w := range ra.GetWeightedClusters().GetClusters() {
		add(w.Name)
	}
	for _, m := range ra.RequestMirrorPolicies {
		add(m.Cluster)
	}
	return out
}
