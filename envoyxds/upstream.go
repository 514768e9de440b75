package envoyxds

import (
	"math/big"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	istionet "istio.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/model"
)

// defaultConnectTimeout is the connect timeout of a cluster whose policy sets none.
const defaultConnectTimeout = 5 * time.Second

// Envoy's bounds for consistent hashing: the largest ring, and the largest Maglev table (which must be
// a prime number). A value out of bounds is left out (Envoy's default) rather than refused.
const (
	maxRingSize        = 8388608
	maxMaglevTableSize = 5000011
)

// speaksHTTP2 reports whether a cluster sends HTTP/2 to its endpoints: the Service port says so (h2c,
// gRPC), or the policy asks to upgrade.
func speaksHTTP2(sp model.ServicePort, p clusterPolicy) bool {
	return sp.Protocol == model.ProtocolHTTP2 || sp.Protocol == model.ProtocolGRPC ||
		p.pool.GetHttp().GetH2UpgradePolicy() == istionet.ConnectionPoolSettings_HTTPSettings_UPGRADE
}

// applyConnectionPool sets the connect timeout, the circuit breaker thresholds and the HTTP protocol
// options (HTTP/2, idle timeout, requests per connection, automatic SNI) of a cluster.
func applyConnectionPool(c *clusterv3.Cluster, pool *istionet.ConnectionPoolSettings, http2 bool, autoSNI *corev3.UpstreamHttpProtocolOptions) {
	c.ConnectTimeout = durationpb.New(defaultConnectTimeout)
	if ct := pool.GetTcp().GetConnectTimeout(); ct != nil && ct.AsDuration() > 0 {
		c.ConnectTimeout = durationpb.New(ct.AsDuration())
	}
	th := &clusterv3.CircuitBreakers_Thresholds{}
	setLimit := func(to **wrapperspb.UInt32Value, v int32) {
		if v > 0 {
			*to = wrapperspb.UInt32(uint32(v))
		}
	}
	setLimit(&th.MaxConnections, pool.GetTcp().GetMaxConnections())
	setLimit(&th.MaxPendingRequests, pool.GetHttp().GetHttp1MaxPendingRequests())
	setLimit(&th.MaxRequests, pool.GetHttp().GetHttp2MaxRequests())
	setLimit(&th.MaxRetries, pool.GetHttp().GetMaxRetries())
	if !proto.Equal(th, &clusterv3.CircuitBreakers_Thresholds{}) {
		c.CircuitBreakers = &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{th}}
	}
	common := &corev3.HttpProtocolOptions{}
	if d := pool.GetHttp().GetIdleTimeout(); d != nil && d.AsDuration() >= 0 {
		common.IdleTimeout = durationpb.New(d.AsDuration())
	}
	if n := pool.GetHttp().GetMaxRequestsPerConnection(); n > 0 {
		common.MaxRequestsPerConnection = wrapperspb.UInt32(uint32(n))
	}
	if d := pool.GetTcp().GetMaxConnectionDuration(); d != nil && d.AsDuration() >= time.Millisecond {
		common.MaxConnectionDuration = durationpb.New(d.AsDuration())
	}
	if http2 || autoSNI != nil || !proto.Equal(common, &corev3.HttpProtocolOptions{}) {
		c.TypedExtensionProtocolOptions = httpProtocolOptions(http2, autoSNI, common)
	}
}

// httpProtocolOptions says how a cluster speaks HTTP to its endpoints: HTTP/2 (prior knowledge, or
// ALPN over TLS) or HTTP/1.1, with common options, and, with autoSNI, the SNI taken from the request's
// Host (after rewrites).
func httpProtocolOptions(http2 bool, autoSNI *corev3.UpstreamHttpProtocolOptions, common *corev3.HttpProtocolOptions) map[string]*anypb.Any {
	explicit := &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
		ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_HttpProtocolOptions{HttpProtocolOptions: &corev3.Http1ProtocolOptions{}},
	}
	if http2 {
		explicit.ProtocolConfig = &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}}
	}
	opts := &httpv3.HttpProtocolOptions{UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: explicit}}
	if !proto.Equal(common, &corev3.HttpProtocolOptions{}) {
		opts.CommonHttpProtocolOptions = common
	}
	opts.UpstreamHttpProtocolOptions = autoSNI
	return map[string]*anypb.Any{"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": typed(opts)}
}

// applyLoadBalancer sets the load balancing policy of a cluster: a simple one, or consistent hashing
// (a ring, or Maglev) whose hash the routes compute (see hashPolicy). PASSTHROUGH has no meaning for
// the Service endpoints gatebridge serves and keeps the default, round robin.
func applyLoadBalancer(c *clusterv3.Cluster, lb *istionet.LoadBalancerSettings) {
	switch {
	case lb.GetConsistentHash() != nil:
		ch := lb.GetConsistentHash()
		if ml := ch.GetMaglev(); ml != nil {
			c.LbPolicy = clusterv3.Cluster_MAGLEV
			if n := ml.GetTableSize(); n > 0 && n <= maxMaglevTableSize && new(big.Int).SetUint64(n).ProbablyPrime(20) {
				c.LbConfig = &clusterv3.Cluster_MaglevLbConfig_{MaglevLbConfig: &clusterv3.Cluster_MaglevLbConfig{TableSize: wrapperspb.UInt64(n)}}
			}
			return
		}
		c.LbPolicy = clusterv3.Cluster_RING_HASH
		if size := ch.GetRingHash().GetMinimumRingSize(); size > 0 && size <= maxRingSize {
			c.LbConfig = &clusterv3.Cluster_RingHashLbConfig_{RingHashLbConfig: &clusterv3.Cluster_RingHashLbConfig{MinimumRingSize: wrapperspb.UInt64(size)}}
		}
	case lb.GetSimple() == istionet.LoadBalancerSettings_LEAST_REQUEST || lb.GetSimple() == istionet.LoadBalancerSettings_LEAST_CONN:
		c.LbPolicy = clusterv3.Cluster_LEAST_REQUEST
	case lb.GetSimple() == istionet.LoadBalancerSettings_RANDOM:
		c.LbPolicy = clusterv3.Cluster_RANDOM
	}
}

// hashPolicy is how a route computes the hash of a request for a consistent-hash load balancer: from
// a header, a cookie (which Envoy sets when the request has none and a ttl is given; a ttl of zero
// makes it a session cookie), the client's address or a query parameter. It is nil without
// consistent hashing or with an empty name.
func hashPolicy(lb *istionet.LoadBalancerSettings) *routev3.RouteAction_HashPolicy {
	ch := lb.GetConsistentHash()
	switch key := ch.GetHashKey().(type) {
	case *istionet.LoadBalancerSettings_ConsistentHashLB_HttpHeaderName:
		if key.HttpHeaderName != "" {
			return &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_Header_{Header: &routev3.RouteAction_HashPolicy_Header{HeaderName: key.HttpHeaderName}}}
		}
	case *istionet.LoadBalancerSettings_ConsistentHashLB_HttpCookie:
		if c := key.HttpCookie; c.GetName() != "" {
			cookie := &routev3.RouteAction_HashPolicy_Cookie{Name: c.Name, Path: c.Path, Ttl: c.Ttl}
			for _, a := range c.Attributes {
				if a.GetName() != "" {
					cookie.Attributes = append(cookie.Attributes, &routev3.RouteAction_HashPolicy_CookieAttribute{Name: a.Name, Value: a.Value})
				}
			}
			return &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_Cookie_{Cookie: cookie}}
		}
	case *istionet.LoadBalancerSettings_ConsistentHashLB_UseSourceIp:
		if key.UseSourceIp {
			return &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_ConnectionProperties_{
				ConnectionProperties: &routev3.RouteAction_HashPolicy_ConnectionProperties{SourceIp: true}}}
		}
	case *istionet.LoadBalancerSettings_ConsistentHashLB_HttpQueryParameterName:
		if key.HttpQueryParameterName != "" {
			return &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_QueryParameter_{
				QueryParameter: &routev3.RouteAction_HashPolicy_QueryParameter{Name: key.HttpQueryParameterName}}}
		}
	}
	return nil
}

// hashPolicies are the hash policies of a route's destinations, each once, in the order of the
// destinations.
func (b *builder) hashPolicies(dests []*istionet.HTTPRouteDestination) []*routev3.RouteAction_HashPolicy {
	var out []*routev3.RouteAction_HashPolicy
	for _, d := range dests {
		ref, ok := destinationRef(d.GetDestination())
		if !ok {
			continue
		}
		hp := hashPolicy(b.policyFor(ref).lb)
		if hp == nil {
			continue
		}
		dup := false
		for _, o := range out {
			dup = dup || proto.Equal(o, hp)
		}
		if !dup {
			out = append(out, hp)
		}
	}
	return out
}
