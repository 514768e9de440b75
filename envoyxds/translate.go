package envoyxds

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/wellknown"
	istionet "istio.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/model"
)

// Options tune translation for a fleet's environment.
type Options struct {
	// BindAddress is the address listeners bind (default 0.0.0.0).
	BindAddress string
	// ListenPort maps a Gateway port to the port Envoy binds (standalone mode maps 80 to an unprivileged
	// port); nil keeps the port.
	ListenPort func(port uint32) uint32
}

func (o Options) listenPort(p uint32) uint32 {
	if o.ListenPort == nil {
		return p
	}
	return o.ListenPort(p)
}

// Resources are the Envoy resources of one fleet, each slice sorted by name.
type Resources struct {
	Listeners []*listenerv3.Listener
	Routes    []*routev3.RouteConfiguration
	Clusters  []*clusterv3.Cluster
	Endpoints []*endpointv3.ClusterLoadAssignment
	Secrets   []*tlsv3.Secret
}

// Translate builds the resources of one fleet. It fails only on a model it cannot express (which
// model.Validate and envoyxds.Validate catch before anything is served).
func Translate(s *model.Snapshot, fleet string, opts Options) (*Resources, error) {
	b := &builder{snap: s, fleet: fleet, opts: opts, clusters: map[string]clusterRef{}, material: map[string]*model.TLSSecret{},
		rules: indexRules(s, fleet), upstreamSecrets: map[string]upstreamSecret{}, authClusters: map[string]bool{}}
	for i := range s.Secrets {
		b.material[s.Secrets[i].Name] = &s.Secrets[i]
	}
	if b.opts.BindAddress == "" {
		b.opts.BindAddress = "0.0.0.0"
	}
	b.indexPolicies()
	// Every connection manager of the fleet has the same policy filters and early mutations.
	b.chainFilters, b.chainEarly = slices.Clip(b.policyFilters()), b.earlyMutations()
	ports := b.fleetPorts()
	for _, p := range slices.Sorted(maps.Keys(ports)) {
		if err := b.buildPort(p, ports[p]); err != nil {
			return nil, fmt.Errorf("port %d: %w", p, err)
		}
	}
	b.buildClusters()
	b.buildAuthHop()
	b.buildSecrets()
	b.sort()
	return &b.res, nil
}

type builder struct {
	snap     *model.Snapshot
	fleet    string
	opts     Options
	res      Resources
	clusters map[string]clusterRef // by cluster name
	// material is the TLS material of the snapshot, by "namespace/name".
	material map[string]*model.TLSSecret
	// rules are the DestinationRules the fleet takes, by host.
	rules map[string]*hostRules
	// upstreamSecrets are the SDS secrets the clusters' TLS contexts load, and the CA certificates that
	// verify client certificates on listeners, by SDS name.
	upstreamSecrets map[string]upstreamSecret
	// policies are the route policies of the fleet by route name; policyFilterUsed the filters they
	// need, policyBodyLimits the body limits they ask (policies.go).
	policies         map[string]*routePolicy
	policyFilterUsed map[string]bool
	policyBodyLimits map[uint64]bool
	// chainFilters and chainEarly are what every HTTP connection manager of the fleet holds: the policy
	// filters and the early header mutations, built once from the indexed policies.
	chainFilters []*hcmv3.HttpFilter
	chainEarly   []*corev3.TypedExtensionConfig
	// authClusters are the clusters of the auth services the fleet's routes ask (authhop.go).
	authClusters map[string]bool
}

// clusterRef is a Service port, and a subset of a DestinationRule, some route of the fleet sends to.
type clusterRef struct {
	host   string
	port   uint32
	subset string
}

// server is one Istio server with the Gateway it belongs to.
type server struct {
	gw  *model.Gateway
	srv *istionet.Server
}

// fleetPorts groups the servers of the fleet's Gateways by port.
func (b *builder) fleetPorts() map[uint32][]server {
	ports := map[uint32][]server{}
	for i := range b.snap.Gateways {
		gw := &b.snap.Gateways[i]
		if gw.Fleet != b.fleet {
			continue
		}
		for _, srv := range gw.Spec.Servers {
			ports[srv.Port.Number] = append(ports[srv.Port.Number], server{gw: gw, srv: srv})
		}
	}
	return ports
}

func gatewayRef(gw *model.Gateway) string { return gw.Namespace + "/" + gw.Name }

// routeConfigName names the route configuration of an HTTP port (see httpsRouteConfigName for HTTPS).
func routeConfigName(port uint32) string { return fmt.Sprintf("http.%d", port) }

func listenerName(port uint32) string { return fmt.Sprintf("listener.%d", port) }

// clusterName follows Istio's convention: outbound|port|subset|host.
func clusterName(ref clusterRef) string {
	return fmt.Sprintf("outbound|%d|%s|%s", ref.port, ref.subset, ref.host)
}

func (b *builder) buildPort(port uint32, servers []server) error {
	var httpServers, tlsServers []server
	for _, s := range servers {
		switch strings.ToUpper(s.srv.Port.Protocol) {
		case "HTTP":
			httpServers = append(httpServers, s)
		case "HTTPS", "TLS":
			tlsServers = append(tlsServers, s)
		default:
			return fmt.Errorf("server %s: protocol %q is not supported", s.srv.Name, s.srv.Port.Protocol)
		}
	}
	if len(httpServers) > 0 && len(tlsServers) > 0 {
		return fmt.Errorf("HTTP and TLS servers share the port")
	}
	l := &listenerv3.Listener{
		Name:    listenerName(port),
		Address: socketAddress(b.opts.BindAddress, b.opts.listenPort(port)),
	}
	if len(httpServers) > 0 {
		hcm := httpConnectionManager(port, false, routeConfigName(port), b.chainFilters, b.chainEarly)
		l.FilterChains = []*listenerv3.FilterChain{{Name: "http", Filters: []*listenerv3.Filter{hcm}}}
	} else {
		chains := b.tlsFilterChains(port, tlsServers)
		if len(chains) == 0 {
			// No server of the port can be served (missing certificates, no route with a usable backend):
			// the port still takes connections, as the Gateway listens there, and closes them.
			chains = []*listenerv3.FilterChain{b.closingChain(port)}
		}
		l.FilterChains = chains
		l.ListenerFilters = []*listenerv3.ListenerFilter{tlsInspector()}
	}
	// Routes only for the chains that were built: an HTTPS server left without a chain (its certificate
	// is missing) must not leave a route configuration that nothing uses. Each HTTPS chain has its own.
	switch {
	case len(httpServers) > 0:
		rc, err := b.routeConfig(port, servers)
		if err != nil {
			return err
		}
		b.res.Routes = append(b.res.Routes, rc)
	case slices.ContainsFunc(l.FilterChains, carriesHTTP):
		rcs, err := b.httpsRouteConfigs(port, servers, l.FilterChains)
		if err != nil {
			return err
		}
		b.res.Routes = append(b.res.Routes, rcs...)
	}
	b.res.Listeners = append(b.res.Listeners, l)
	return nil
}

// carriesHTTP reports whether a filter chain ends in an HTTP connection manager.
func carriesHTTP(fc *listenerv3.FilterChain) bool {
	return slices.ContainsFunc(fc.Filters, func(f *listenerv3.Filter) bool { return f.Name == wellknown.HTTPConnectionManager })
}

// isTerminatedHTTP reports whether a TLS server carries HTTP after termination (HTTPS); TLS servers
// carry opaque streams (passthrough, or terminated and proxied).
func isTerminatedHTTP(s *istionet.Server) bool {
	return strings.EqualFold(s.Port.Protocol, "HTTPS")
}

func socketAddress(addr string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: addr, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

func (b *builder) useCluster(ref clusterRef) string {
	name := clusterName(ref)
	b.clusters[name] = ref
	return name
}

func (b *builder) sort() {
	slices.SortFunc(b.res.Listeners, func(a, c *listenerv3.Listener) int { return cmp.Compare(a.Name, c.Name) })
	slices.SortFunc(b.res.Routes, func(a, c *routev3.RouteConfiguration) int { return cmp.Compare(a.Name, c.Name) })
	slices.SortFunc(b.res.Clusters, func(a, c *clusterv3.Cluster) int { return cmp.Compare(a.Name, c.Name) })
	slices.SortFunc(b.res.Endpoints, func(a, c *endpointv3.ClusterLoadAssignment) int { return cmp.Compare(a.ClusterName, c.ClusterName) })
	slices.SortFunc(b.res.Secrets, func(a, c *tlsv3.Secret) int { return cmp.Compare(a.Name, c.Name) })
}
