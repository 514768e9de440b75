package envoyxds

import (
	"maps"
	"slices"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	"github.com/gatebridge/gatebridge/model"
)

// buildClusters makes an EDS cluster and its endpoints for every Service port, and DestinationRule
// subset, the fleet's routes use, with the traffic policy of the DestinationRules of its host (see
// policyFor). A subset's cluster has every endpoint of the Service port: the model's endpoints carry no
// labels, so subset labels do not select endpoints. A destination with no Service (or the
// unresolved-backend host) gets a cluster without endpoints, and so does one whose TLS settings cannot
// be honoured (see upstreamTLS): its requests fail (503) rather than leave in clear text.
func (b *builder) buildClusters() {
	ports := map[clusterRef]model.ServicePort{}
	for _, svc := range b.snap.Services {
		for _, p := range svc.Ports {
			ports[clusterRef{host: svc.Host, port: p.Number}] = p
		}
	}
	for _, name := range slices.Sorted(maps.Keys(b.clusters)) {
		ref := b.clusters[name]
		sp := ports[clusterRef{host: ref.host, port: ref.port}]
		c, usable := b.buildCluster(name, ref, sp)
		b.res.Clusters = append(b.res.Clusters, c)
		cla := &endpointv3.ClusterLoadAssignment{ClusterName: name}
		if usable && len(sp.Endpoints) > 0 && !isUnresolved(ref.host) {
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

// buildCluster makes the cluster of a Service port (and subset) with its traffic policy; usable is
// false when its TLS settings cannot be honoured.
func (b *builder) buildCluster(name string, ref clusterRef, sp model.ServicePort) (c *clusterv3.Cluster, usable bool) {
	c = &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{EdsConfig: adsConfigSource()},
	}
	var p clusterPolicy
	if !isUnresolved(ref.host) {
		p = b.policyFor(ref)
	}
	http2 := speaksHTTP2(sp, p)
	ts, autoSNI, usable := b.upstreamTLS(p.tls, http2)
	c.TransportSocket = ts
	applyConnectionPool(c, p.pool, http2, autoSNI)
	applyLoadBalancer(c, p.lb)
	return c, usable
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
