package envoyxds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sort"
	"sync"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	clusterservice "github.com/envoyproxy/go-control-plane/envoy/service/cluster/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	endpointservice "github.com/envoyproxy/go-control-plane/envoy/service/endpoint/v3"
	listenerservice "github.com/envoyproxy/go-control-plane/envoy/service/listener/v3"
	routeservice "github.com/envoyproxy/go-control-plane/envoy/service/route/v3"
	secretservice "github.com/envoyproxy/go-control-plane/envoy/service/secret/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// fleetHash keys the snapshot cache by fleet: every Envoy whose node cluster names the fleet gets the
// same resources.
type fleetHash struct{}

func (fleetHash) ID(node *corev3.Node) string {
	if node == nil {
		return ""
	}
	if node.Cluster != "" {
		return node.Cluster
	}
	return node.Id
}

// NodeStatus is what one Envoy did with what it was sent.
type NodeStatus struct {
	Node     string `json:"node"`
	Fleet    string `json:"fleet"`
	Acked    string `json:"ackedVersion,omitempty"`
	Nacked   string `json:"nackedVersion,omitempty"`
	NackText string `json:"nackError,omitempty"`
	Nacks    int    `json:"nacks,omitempty"` // NACKs on this stream so far: a resend loop shows here
}

// FleetStatus is the state of one fleet on the server.
type FleetStatus struct {
	Fleet   string       `json:"fleet"`
	Version string       `json:"version"`
	Error   string       `json:"error,omitempty"` // why the latest update was not pushed
	Nodes   []NodeStatus `json:"nodes,omitempty"`
}

// Server serves ADS (state of the world and delta) and SDS to Envoy fleets. Updates are validated
// before they are pushed; a rejected update leaves the last good snapshot in place, and a NACK does not
// make the server resend the same version in a loop.
type Server struct {
	log   *slog.Logger
	cache cachev3.SnapshotCache

	mu      sync.Mutex
	current map[string]*cachev3.Snapshot // by fleet: what is being served
	// acked lists, by fleet, the versions some Envoy acked (for some type), oldest first; a version
	// that is NACKed later leaves the list (Envoy acks clusters and listeners of a version before it
	// rejects its routes).
	acked  map[string][]*cachev3.Snapshot
	errors map[string]string
	nodes  map[int64]*NodeStatus // by stream
	// deltaNonces maps, per delta stream, the nonce of each response not yet answered to its version.
	deltaNonces map[int64]map[string]string
}

// NewServer makes a server; log receives one line per push, ACK and NACK (never secret material).
func NewServer(log *slog.Logger) *Server {
	return &Server{
		log:     log,
		cache:   cachev3.NewSnapshotCache(true, fleetHash{}, nil),
		current: map[string]*cachev3.Snapshot{},
		acked:   map[string][]*cachev3.Snapshot{},
		errors:  map[string]string{},
		nodes:   map[int64]*NodeStatus{},

		deltaNonces: map[int64]map[string]string{},
	}
}

// Version returns the version a fleet is served.
func (s *Server) Version(fleet string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if snap := s.current[fleet]; snap != nil {
		return snap.GetVersion(resourcev3.ListenerType)
	}
	return ""
}

// Update validates the resources of a fleet and, when they are valid, serves them. An invalid update is
// returned as an error and the fleet keeps its last good configuration.
func (s *Server) Update(ctx context.Context, fleet string, res *Resources) (string, error) {
	if err := res.Validate(); err != nil {
		s.mu.Lock()
		s.errors[fleet] = err.Error()
		s.mu.Unlock()
		return "", err
	}
	version, snap, err := snapshotOf(res)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.errors, fleet)
	if cur := s.current[fleet]; cur != nil && cur.GetVersion(resourcev3.ListenerType) == version {
		return version, nil
	}
	if err := s.cache.SetSnapshot(ctx, fleet, snap); err != nil {
		return "", fmt.Errorf("set snapshot of fleet %s: %w", fleet, err)
	}
	s.current[fleet] = snap
	s.log.Info("pushed configuration", "fleet", fleet, "version", version)
	return version, nil
}

// snapshotOf makes a consistent snapshot whose version is a hash of its content, so equal
// configurations are never pushed twice.
func snapshotOf(res *Resources) (string, *cachev3.Snapshot, error) {
	byType := map[string][]types.Resource{}
	h := sha256.New()
	add := func(typ string, m proto.Message) error {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if err != nil {
			return err
		}
		h.Write([]byte(typ))
		h.Write(b)
		byType[typ] = append(byType[typ], m.(types.Resource))
		return nil
	}
	var errs []error
	for _, m := range res.Listeners {
		errs = append(errs, add(resourcev3.ListenerType, m))
	}
	for _, m := range res.Routes {
		errs = append(errs, add(resourcev3.RouteType, m))
	}
	for _, m := range res.Clusters {
		errs = append(errs, add(resourcev3.ClusterType, m))
	}
	for _, m := range res.Endpoints {
		errs = append(errs, add(resourcev3.EndpointType, m))
	}
	for _, m := range res.Secrets {
		errs = append(errs, add(resourcev3.SecretType, m))
	}
	if err := errors.Join(errs...); err != nil {
		return "", nil, err
	}
	version := hex.EncodeToString(h.Sum(nil))[:12]
	snap, err := cachev3.NewSnapshot(version, byType)
	if err != nil {
		return "", nil, err
	}
	if err := snap.Consistent(); err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return version, snap, nil
}

// onRequest records the ACKs and NACKs of state-of-the-world streams. After a NACK the fleet goes back
// to the last acked snapshot (or to none), so the cache does not answer the NACK with the same rejected
// version again and again.
func (s *Server) onRequest(stream int64, req *discoveryv3.DiscoveryRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ns, cur := s.streamNode(stream, req.Node)
	if cur == nil || req.ResponseNonce == "" {
		return nil
	}
	version := cur.GetVersion(resourcev3.ListenerType)
	if req.ErrorDetail != nil {
		s.nacked(ns, version, req.TypeUrl, req.ErrorDetail.Message)
	} else if req.VersionInfo == version {
		s.ackedVersion(ns, version)
	}
	return nil
}

// onDeltaResponse remembers which snapshot version each delta response carried: a delta request
// acknowledges a nonce, not a version.
func (s *Server) onDeltaResponse(stream int64, _ *discoveryv3.DeltaDiscoveryRequest, resp *discoveryv3.DeltaDiscoveryResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deltaNonces[stream] == nil {
		s.deltaNonces[stream] = map[string]string{}
	}
	s.deltaNonces[stream][resp.Nonce] = resp.SystemVersionInfo
}

// onDeltaRequest records the ACKs and NACKs of delta streams, as onRequest does.
func (s *Server) onDeltaRequest(stream int64, req *discoveryv3.DeltaDiscoveryRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ns, cur := s.streamNode(stream, req.Node)
	version, ok := s.deltaNonces[stream][req.ResponseNonce]
	if cur == nil || req.ResponseNonce == "" || !ok {
		return nil
	}
	delete(s.deltaNonces[stream], req.ResponseNonce)
	if req.ErrorDetail != nil {
		s.nacked(ns, version, req.TypeUrl, req.ErrorDetail.Message)
	} else if version == cur.GetVersion(resourcev3.ListenerType) {
		s.ackedVersion(ns, version)
	}
	return nil
}

// streamNode returns the status of the Envoy on a stream (the node is sent on the first request only)
// and the snapshot its fleet is served. s.mu is held.
func (s *Server) streamNode(stream int64, node *corev3.Node) (*NodeStatus, *cachev3.Snapshot) {
	fleet := fleetHash{}.ID(node)
	ns := s.nodes[stream]
	if ns == nil {
		ns = &NodeStatus{Fleet: fleet}
		s.nodes[stream] = ns
	}
	if node != nil {
		ns.Node, ns.Fleet = node.Id, fleet
	}
	return ns, s.current[ns.Fleet]
}

// nacked records a rejection and goes back to the last good snapshot. s.mu is held.
func (s *Server) nacked(ns *NodeStatus, version, typeURL, message string) {
	ns.Nacked, ns.NackText = version, message
	ns.Nacks++
	s.log.Warn("envoy rejected configuration", "fleet", ns.Fleet, "node", ns.Node, "version", version, "type", typeURL, "error", message)
	s.holdAfterNack(ns.Fleet)
}

// ackedVersion records that an Envoy took the version its fleet is served. s.mu is held.
func (s *Server) ackedVersion(ns *NodeStatus, version string) {
	if ns.Acked == version {
		return
	}
	ns.Acked = version
	if cur := s.current[ns.Fleet]; !slices.Contains(s.acked[ns.Fleet], cur) {
		s.acked[ns.Fleet] = append(s.acked[ns.Fleet], cur)
	}
	s.log.Info("envoy acked configuration", "fleet", ns.Fleet, "node", ns.Node, "version", version)
}

func (s *Server) holdAfterNack(fleet string) {
	bad := s.current[fleet]
	s.acked[fleet] = slices.DeleteFunc(s.acked[fleet], func(x *cachev3.Snapshot) bool { return x == bad })
	var good *cachev3.Snapshot
	if n := len(s.acked[fleet]); n > 0 {
		good = s.acked[fleet][n-1]
		s.acked[fleet] = s.acked[fleet][max(0, n-8):] // a short history is enough
	}
	if good == nil {
		s.cache.ClearSnapshot(fleet)
		delete(s.current, fleet)
		return
	}
	if s.current[fleet] == good {
		return
	}
	s.current[fleet] = good
	if err := s.cache.SetSnapshot(context.Background(), fleet, good); err != nil {
		s.log.Error("restore last good configuration", "fleet", fleet, "error", err)
	}
}

// Status reports every fleet: the version served, the last update error, what each Envoy acked.
func (s *Server) Status() []FleetStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statusLocked()
}

// statusLocked is Status for a caller that holds s.mu.
func (s *Server) statusLocked() []FleetStatus {
	fleets := map[string]*FleetStatus{}
	get := func(f string) *FleetStatus {
		if fleets[f] == nil {
			fleets[f] = &FleetStatus{Fleet: f}
		}
		return fleets[f]
	}
	for f, snap := range s.current {
		get(f).Version = snap.GetVersion(resourcev3.ListenerType)
	}
	for f, e := range s.errors {
		get(f).Error = e
	}
	for _, n := range s.nodes {
		fs := get(n.Fleet)
		fs.Nodes = append(fs.Nodes, *n)
	}
	out := make([]FleetStatus, 0, len(fleets))
	for _, f := range fleets {
		sort.Slice(f.Nodes, func(i, j int) bool { return f.Nodes[i].Node < f.Nodes[j].Node })
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Fleet < out[j].Fleet })
	return out
}

func (s *Server) onClosed(stream int64, _ *corev3.Node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.nodes, stream)
	delete(s.deltaNonces, stream)
}

// Serve serves xDS on lis until ctx ends.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	callbacks := serverv3.CallbackFuncs{
		StreamRequestFunc:       s.onRequest,
		StreamDeltaRequestFunc:  s.onDeltaRequest,
		StreamDeltaResponseFunc: s.onDeltaResponse,
		StreamClosedFunc:        s.onClosed,
		DeltaStreamClosedFunc:   s.onClosed,
	}
	xds := serverv3.NewServer(ctx, s.cache, callbacks)
	g := grpc.NewServer()
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(g, xds)
	listenerservice.RegisterListenerDiscoveryServiceServer(g, xds)
	routeservice.RegisterRouteDiscoveryServiceServer(g, xds)
	clusterservice.RegisterClusterDiscoveryServiceServer(g, xds)
	endpointservice.RegisterEndpointDiscoveryServiceServer(g, xds)
	secretservice.RegisterSecretDiscoveryServiceServer(g, xds)
	go func() {
		<-ctx.Done()
		g.Stop()
	}()
	if err := g.Serve(lis); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}
