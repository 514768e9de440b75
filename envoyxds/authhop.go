package envoyxds

import (
	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	luav3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/lua/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/envoyproxy/go-control-plane/pkg/wellknown"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The auth hop. Envoy's ext_authz HTTP client lets a request through only on a 200 answer, while
// nginx's auth_request takes any 2xx (oauth2-proxy answers 202 to a signed-in user). So the fleet's
// check requests do not go to their auth service straight: they go to an internal listener of the
// Envoy (no socket; the bootstrap enables internal listeners), whose routes send each check to its auth
// service, chosen by a header ext_authz adds, and turn a 2xx answer into 200 on its way back, headers
// kept. Any other answer comes back as it is; a failure of the hop itself (no endpoint, a connection
// refused) is answered 500, which ext_authz, like an answer of 5xx, takes as an error: 500 to the client.
const (
	// authHopName names the internal listener and the cluster that connects to it.
	authHopName = "gatebridge.auth_hop"
	// authHopHeader carries the auth service's cluster name from ext_authz to the hop, which removes it.
	authHopHeader = "x-gatebridge-auth-cluster"
	// authHopMethodHeader carries the method the check must be sent with (auth-method, or the
	// request's own); the hop's Lua filter sets it as the check's method and removes the header.
	authHopMethodHeader = "x-gatebridge-auth-method"
)

// authHopLua sets the check's method from authHopMethodHeader, and rewrites the status of a 2xx
// answer to 200.
const authHopLua = `function envoy_on_request(handle)
  local method = handle:headers():get("` + authHopMethodHeader + `")
  if method ~= nil then
    handle:headers():replace(":method", method)
    handle:headers():remove("` + authHopMethodHeader + `")
  end
end

function envoy_on_response(handle)
  local status = handle:headers():get(":status")
  if status ~= nil and string.sub(status, 1, 1) == "2" then
    handle:headers():replace(":status", "200")
  end
end
`

// buildAuthHop adds the hop's listener and cluster when some route of the fleet asks an auth service
// (b.authClusters, noted by applyPolicy).
func (b *builder) buildAuthHop() {
	if len(b.authClusters) == 0 {
		return
	}
	b.res.Listeners = append(b.res.Listeners, authHopListener(sortedKeys(b.authClusters)))
	b.res.Clusters = append(b.res.Clusters, authHopCluster())
}

// authHopListener is the internal listener: one route per auth service cluster (sorted).
func authHopListener(clusters []string) *listenerv3.Listener {
	vh := &routev3.VirtualHost{Name: "auth", Domains: []string{"*"}}
	for _, c := range clusters {
		vh.Routes = append(vh.Routes, &routev3.Route{
			Name: c,
			Match: &routev3.RouteMatch{
				PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"},
				Headers:       []*routev3.HeaderMatcher{exactHeader(authHopHeader, c)},
			},
			// ext_authz bounds the check (extAuthTimeout): the hop waits as long.
			Action:                 &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: c}, Timeout: durationpb.New(0)}},
			RequestHeadersToRemove: []string{authHopHeader},
		})
	}
	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix:        "auth_hop",
		CodecType:         hcmv3.HttpConnectionManager_AUTO,
		RouteSpecifier:    &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: &routev3.RouteConfiguration{Name: authHopName, VirtualHosts: []*routev3.VirtualHost{vh}}},
		GenerateRequestId: wrapperspb.Bool(false),
		// Every answer the hop makes itself is a failure to ask the auth service: 500, an error for ext_authz.
		LocalReplyConfig: &hcmv3.LocalReplyConfig{Mappers: []*hcmv3.ResponseMapper{{
			Filter:     &accesslogv3.AccessLogFilter{FilterSpecifier: &accesslogv3.AccessLogFilter_ResponseFlagFilter{ResponseFlagFilter: &accesslogv3.ResponseFlagFilter{}}},
			StatusCode: wrapperspb.UInt32(500),
		}}},
		HttpFilters: []*hcmv3.HttpFilter{
			{Name: "envoy.filters.http.lua", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: typed(&luav3.Lua{DefaultSourceCode: inline(authHopLua)})}},
			{Name: wellknown.Router, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: typed(&routerv3.Router{SuppressEnvoyHeaders: true})}},
		},
	}
	return &listenerv3.Listener{
		Name:              authHopName,
		ListenerSpecifier: &listenerv3.Listener_InternalListener{InternalListener: &listenerv3.Listener_InternalListenerConfig{}},
		FilterChains:      []*listenerv3.FilterChain{{Name: "auth_hop", Filters: []*listenerv3.Filter{{Name: wellknown.HTTPConnectionManager, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: typed(hcm)}}}}},
	}
}

// authHopCluster connects to the internal listener.
func authHopCluster() *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 authHopName,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: authHopName, Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: &corev3.Address{Address: &corev3.Address_EnvoyInternalAddress{EnvoyInternalAddress: &corev3.EnvoyInternalAddress{
					AddressNameSpecifier: &corev3.EnvoyInternalAddress_ServerListenerName{ServerListenerName: authHopName},
				}}},
			}}}},
		}}},
	}
}
