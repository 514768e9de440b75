package envoyxds

import (
	"fmt"
	"net"
	"strconv"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	internallistenerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/bootstrap/internal_listener/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
)

// BootstrapOptions describe one Envoy of a fleet.
type BootstrapOptions struct {
	Fleet     string // the node cluster: which configuration the Envoy gets
	NodeID    string // unique per Envoy; defaults to the fleet
	XDS       string // host:port of gatebridge's xDS server
	AdminPort uint32 // the admin interface listens on 127.0.0.1 only
	// Delta makes the Envoy use incremental (delta) ADS instead of state of the world.
	Delta bool
}

const xdsClusterName = "gatebridge-xds"

// Bootstrap returns the Envoy bootstrap (JSON, which Envoy reads as YAML too) of one Envoy of a fleet:
// its node, ADS over gRPC to gatebridge, and an admin interface on 127.0.0.1. It enables internal
// listeners, which the auth hop of external authentication needs (authhop.go).
func Bootstrap(o BootstrapOptions) ([]byte, error) {
	host, portStr, err := net.SplitHostPort(o.XDS)
	if err != nil {
		return nil, fmt.Errorf("xds address %q: %w", o.XDS, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("xds port %q: %w", portStr, err)
	}
	if o.Fleet == "" {
		return nil, fmt.Errorf("a fleet is required")
	}
	nodeID := o.NodeID
	if nodeID == "" {
		nodeID = o.Fleet
	}
	grpcService := []*corev3.GrpcService{{TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{ClusterName: xdsClusterName}}}}
	apiType := corev3.ApiConfigSource_GRPC
	if o.Delta {
		apiType = corev3.ApiConfigSource_DELTA_GRPC
	}
	b := &bootstrapv3.Bootstrap{
		Node:  &corev3.Node{Id: nodeID, Cluster: o.Fleet},
		Admin: &bootstrapv3.Admin{Address: socketAddress("127.0.0.1", o.AdminPort)},
		BootstrapExtensions: []*corev3.TypedExtensionConfig{{
			Name: "envoy.bootstrap.internal_listener", TypedConfig: typed(&internallistenerv3.InternalListener{}),
		}},
		DynamicResources: &bootstrapv3.Bootstrap_DynamicResources{
			AdsConfig: &corev3.ApiConfigSource{ApiType: apiType, TransportApiVersion: corev3.ApiVersion_V3, GrpcServices: grpcService},
			LdsConfig: adsConfigSource(),
			CdsConfig: adsConfigSource(),
		},
		StaticResources: &bootstrapv3.Bootstrap_StaticResources{Clusters: []*clusterv3.Cluster{{
			Name:                          xdsClusterName,
			ClusterDiscoveryType:          &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STRICT_DNS},
			ConnectTimeout:                durationpb.New(time.Second),
			TypedExtensionProtocolOptions: httpProtocolOptions(true, nil, &corev3.HttpProtocolOptions{}),
			LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: xdsClusterName, Endpoints: []*endpointv3.LocalityLbEndpoints{{
				LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
					Address: socketAddress(host, uint32(port)),
				}}}},
			}}},
		}}},
	}
	if err := b.ValidateAll(); err != nil {
		return nil, err
	}
	return protojson.MarshalOptions{Indent: "  "}.Marshal(b)
}
