package envoyxds

import (
	"maps"
	"slices"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/gatebridge/gatebridge/model"
)

// buildClusters makes an EDS cluster and its endpoints for every Service port the fleet's routes use.
// A destination with no Service (or the unresolved-backend host) gets a cluster without endpoints.
func (b *builder) buildClusters() {
	ports := map[clusterRef]model.ServicePort{}
	for _, svc := range b.snap.Services {
		for _, p := range svc.Ports {
			ports[clusterRef{svc.Host, p.Number}] = p
		}
	}
	for _, name := range slices.Sorted(maps.Keys(b.clusters)) {
		ref := b.clusters[name]
		sp := ports[ref]
		c := &clusterv3.Cluster{
			Name:                 name,
			ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
			EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{EdsConfig: adsConfigSource()},
			ConnectTimeout:       durationpb.New(5 * time.Second),
		}
		if sp.Protocol == model.ProtocolHTTP2 || sp.Protocol == model.ProtocolGRPC {
			c.TypedExtensionProtocolOptions = http2Upstream()

		}
		b.res.Clusters = append(b.res.Clusters, c)
		cla := &endpointv3.ClusterLoadAssignment{ClusterName: name}
		if len(sp.Endpoints) > 0 && !isUnresolved(ref.host) {
			le := &endpointv3.LocalityLbEndpoints{}
			for _, ep := range sp.Endpoints {
				le.LbEndpoints = append(le.LbEndpoints, &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
					Endpoint: &endpointv3.Endpoint{Address: socketAddress(ep.Address, ep.Port)},
				}})
			}
			cla.Endpoints = []*endpointv3.LocalityLbEndpoints{le}
		}
		b.res.Endpoints = append(b.res.Endpoints, cla)
	}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// http2Upstream makes a cluster speak HTTP/2 (prior knowledge) to its endpoints.
func http2Upstream() map[string]*anypb.Any {
	return map[string]*anypb.Any{"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": typed(&httpv3.HttpProtocolOptions{
		UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}},
		}},
	})}
}
