package envoyxds

import (
	"fmt"
	"slices"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	tlsinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/wellknown"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	istionet "istio.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/model"
)

// adsConfigSource points a resource at the ADS stream it came from.
func adsConfigSource() *corev3.ConfigSource {
	return &corev3.ConfigSource{ResourceApiVersion: corev3.ApiVersion_V3, ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}}
}

func typed(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", m, err)) // only for messages of this package: cannot fail
	}
	return a
}

// httpConnectionManager is the HTTP filter chain of a port: routes over RDS (the route configuration
// rds), the route policy filters the fleet needs, CORS, router.
func httpConnectionManager(port uint32, tls bool, rds string, policy []*hcmv3.HttpFilter, early []*corev3.TypedExtensionConfig) *listenerv3.Filter {
	prefix := "http"
	if tls {
		prefix = "https"
	}
	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix: fmt.Sprintf("%s_%d", prefix, port),
		CodecType:  hcmv3.HttpConnectionManager_AUTO,
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
			RouteConfigName: rds, ConfigSource: adsConfigSource(),
		}},
		HttpFilters: append(policy,
			&hcmv3.HttpFilter{Name: wellknown.CORS, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: typed(&corsv3.Cors{})}},
			&hcmv3.HttpFilter{Name: wellknown.Router, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: typed(&routerv3.Router{})}},
		),
		UseRemoteAddress:              wrapperspb.Bool(true),
		NormalizePath:                 wrapperspb.Bool(true),
		MergeSlashes:                  true,
		PathWithEscapedSlashesAction:  hcmv3.HttpConnectionManager_KEEP_UNCHANGED,
		UpgradeConfigs:                []*hcmv3.HttpConnectionManager_UpgradeConfig{{UpgradeType: "websocket"}},
		EarlyHeaderMutationExtensions: early,
	}
	return &listenerv3.Filter{Name: wellknown.HTTPConnectionManager, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: typed(hcm)}}
}

func tlsInspector() *listenerv3.ListenerFilter {
	return &listenerv3.ListenerFilter{Name: wellknown.TlsInspector, ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: typed(&tlsinspectorv3.TlsInspector{})}}
}

// serverNames are the SNI names a filter chain matches: none (any) for "*".
func serverNames(hosts []string) []string {
	var out []string
	for _, h := range hosts {
		if h != "*" {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// downstreamContext terminates TLS with certificates fetched over SDS.
func downstreamContext(credentials []string, alpn []string) *tlsv3.DownstreamTlsContext {
	ctx := &tlsv3.DownstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{AlpnProtocols: alpn}}
	for _, c := range credentials {
		ctx.CommonTlsContext.TlsCertificateSdsSecretConfigs = append(ctx.CommonTlsContext.TlsCertificateSdsSecretConfigs,
			&tlsv3.SdsSecretConfig{Name: c, SdsConfig: adsConfigSource()})
	}
	return ctx
}

func downstreamTLS(credentials []string, alpn []string) *corev3.TransportSocket {
	return tlsSocket(downstreamContext(credentials, alpn))
}

// tlsSocket is the TLS transport socket of a downstream or upstream TLS context.
func tlsSocket(ctx proto.Message) *corev3.TransportSocket {
	return &corev3.TransportSocket{Name: wellknown.TransportSocketTLS, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: typed(ctx)}}
}

// servedCredentials are the credentials of a server that the snapshot has a certificate and key for. A chain
// naming a secret that SDS never delivers would keep the whole listener warming (every host of the
// port unreachable), so a server without material gets no chain; the conversion reports the missing
// or invalid Secret.
func (b *builder) servedCredentials(t *istionet.ServerTLSSettings) []string {
	var out []string
	for _, c := range model.Credentials(t) {
		if m := b.material[c]; m != nil && len(m.Cert) > 0 && len(m.Key) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// tlsFilterChains builds the filter chains of a port whose servers are HTTPS or TLS, selected by SNI.
// The first server or route to claim a set of names keeps it: Envoy refuses two identical matches.
func (b *builder) tlsFilterChains(port uint32, servers []server) []*listenerv3.FilterChain {
	var chains []*listenerv3.FilterChain
	claimed := map[string]bool{}
	claim := func(names []string) bool {
		key := strings.Join(names, ",")
		if claimed[key] {
			return false
		}
		claimed[key] = true
		return true
	}
	for _, s := range servers {
		if !isTerminatedHTTP(s.srv) {
			continue
		}
		names := serverNames(s.srv.Hosts)
		creds := b.servedCredentials(s.srv.Tls)
		if len(creds) == 0 {
			continue
		}
		ctx := downstreamContext(creds, []string{"h2", "http/1.1"})
		if !claim(names) || !b.clientCertValidation(ctx, s.srv.Tls) {
			continue
		}
		hcm := httpConnectionManager(port, true, httpsRouteConfigName(port, s.srv.Name), b.chainFilters, b.chainEarly)
		chains = append(chains, &listenerv3.FilterChain{
			Name:             "https." + s.srv.Name,
			FilterChainMatch: &listenerv3.FilterChainMatch{ServerNames: names},
			TransportSocket:  tlsSocket(ctx),
			Filters:          []*listenerv3.Filter{hcm},
		})
	}
	return append(chains, b.tlsRouteChains(port, servers, claim)...)
}

// tlsRouteChains builds one tcp_proxy chain per TLS route of the port: passthrough, or terminated with
// the server's certificates.
func (b *builder) tlsRouteChains(port uint32, servers []server, claim func([]string) bool) []*listenerv3.FilterChain {
	var chains []*listenerv3.FilterChain
	for _, s := range servers {
		if isTerminatedHTTP(s.srv) {
			continue
		}
		terminate := s.srv.Tls != nil && s.srv.Tls.Mode != istionet.ServerTLSSettings_PASSTHROUGH
		creds := b.servedCredentials(s.srv.Tls)
		for i := range b.snap.VirtualServices {
			vs := &b.snap.VirtualServices[i]
			if vs.Fleet != b.fleet || !slices.Contains(vs.Spec.Gateways, gatewayRef(s.gw)) {
				continue
			}
			for ri, tr := range vs.Spec.Tls {
				for _, m := range tr.Match {
					if m.Port != 0 && m.Port != port {
						continue
					}
					names := serverNames(intersectSNI(m.SniHosts, s.srv.Hosts))
					if len(names) == 0 && !slices.Contains(m.SniHosts, "*") || terminate && len(creds) == 0 || !claim(names) {
						continue
					}
					chain := &listenerv3.FilterChain{
						Name:             fmt.Sprintf("tls.%s.%s.%d", vs.Namespace, vs.Name, ri),
						FilterChainMatch: &listenerv3.FilterChainMatch{ServerNames: names},
						Filters:          []*listenerv3.Filter{b.tcpProxy(fmt.Sprintf("tls_%d", port), tr.Route)},
					}
					if terminate {
						chain.TransportSocket = downstreamTLS(creds, nil)
					}
					chains = append(chains, chain)
				}
			}
		}
	}
	return chains
}

// closingChain takes any connection and proxies it to the cluster of unresolved backends, which has no
// endpoints: Envoy closes the connection.
func (b *builder) closingChain(port uint32) *listenerv3.FilterChain {
	dest := []*istionet.RouteDestination{{Destination: &istionet.Destination{Host: model.UnresolvedBackendHost}}}
	return &listenerv3.FilterChain{Name: "closed", Filters: []*listenerv3.Filter{b.tcpProxy(fmt.Sprintf("closed_%d", port), dest)}}
}

// intersectSNI keeps the route's SNI names that the server's hosts take.
func intersectSNI(sni, serverHosts []string) []string {
	var out []string
	for _, h := range sni {
		for _, sh := range serverHosts {
			if sh == "*" || sh == h || (strings.HasPrefix(sh, "*.") && strings.HasSuffix(h, sh[1:])) {
				out = append(out, h)
				break
			}
		}
	}
	return out
}

func (b *builder) tcpProxy(stat string, dests []*istionet.RouteDestination) *listenerv3.Filter {
	tp := &tcpproxyv3.TcpProxy{StatPrefix: stat}
	if len(dests) == 1 {
		tp.ClusterSpecifier = &tcpproxyv3.TcpProxy_Cluster{Cluster: b.destinationCluster(dests[0].Destination)}
	} else {
		wc := &tcpproxyv3.TcpProxy_WeightedCluster{}
		for _, d := range dests {
			wc.Clusters = append(wc.Clusters, &tcpproxyv3.TcpProxy_WeightedCluster_ClusterWeight{Name: b.destinationCluster(d.Destination), Weight: uint32(max(d.Weight, 1))})
		}
		tp.ClusterSpecifier = &tcpproxyv3.TcpProxy_WeightedClusters{WeightedClusters: wc}
	}
	return &listenerv3.Filter{Name: wellknown.TCPProxy, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: typed(tp)}}
}
