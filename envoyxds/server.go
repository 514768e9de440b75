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
	acked   map[string][]*cachev3.Snapshot
	errors  map[string]string
	streams map[streamKey]*streamState // open streams: one per Envoy on ADS
	obs     Observer
}

// Observer hears what the server does, for metrics and for status that waits on Envoy. Its functions
// (each may be nil) run with the server's lock held: they must return quickly and never call the server.
type Observer struct {
	// Pushed: a new version is served to a fleet.
	Pushed func(fleet, version string)
	// Acked: an Envoy of a fleet took the version it is served (its first type to answer).
	Acked func(fleet, node, version string)
	// Nacked: an Envoy rejected a version.
	Nacked func(fleet, node, version string)
}

// Observe sets the observer; call it before Serve and Update.
func (s *Server) Observe(o Observer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.obs = o
}

// streamKey names a stream: state-of-the-world and delta streams are numbered separately.
type streamKey struct {
	delta bool
	id    int64
}

// streamState is what the server knows of one stream, from its first request until it closes.
type streamState struct {
	node NodeStatus
	// sent holds, by type URL, the nonce and version of the latest response: a request answers a nonce
	// (its version field names the last version accepted, not the one rejected), and the xDS server
	// ignores answers to older nonces.
	sent map[string]sentResponse
}

type sentResponse struct{ nonce, version string }

// NewServer makes a server; log receives one line per push, ACK and NACK (never secret material).
func NewServer(log *slog.Logger) *Server {
	return &Server{
		log:     log,
		cache:   cachev3.NewSnapshotCache(true, fleetHash{}, nil),
		current: map[string]*cachev3.Snapshot{},
		acked:   map[string][]*cachev3.Snapshot{},
		errors:  map[string]string{},
		streams: map[streamKey]*streamState{},
	}
}

// Version returns the version a fleet is served.
func (s *Server) Version(fleet string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.versionLocked(fleet)
}

// Update validates the resources of a fleet and, when they are valid, serves them. An invalid update is
// returned as an error and the fleet keeps its last good configuration.
// The error of the latest update, or its absence, shows in Status. Resources equal to those served are
// not validated again.
func (s *Server) Update(ctx context.Context, fleet string, res *Resources) (version string, err error) {
	defer func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil {
			s.errors[fleet] = err.Error()
		} else {
			delete(s.errors, fleet)
		}
	}()
	version, snap, err := snapshotOf(res)
	if err != nil {
		return "", err
	}
	if s.Version(fleet) == version {
		return version, nil
	}
	if err := res.Validate(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.cache.SetSnapshot(ctx, fleet, snap); err != nil {
		return "", fmt.Errorf("set snapshot of fleet %s: %w", fleet, err)
	}
	s.current[fleet] = snap
	s.log.Info("pushed configuration", "fleet", fleet, "version", version)
	if s.obs.Pushed != nil {
		s.obs.Pushed(fleet, version)
	}
	return version, nil
}

// Retire drops what the server remembers of a fleet that is now served an empty configuration: the
// acked snapshots it could fall back on (up to maxAcked full configurations) and its last error. The
// empty configuration stays, for its Envoys still connected. Without this, every fleet that ever
// existed (a Gateway created and deleted) would keep its old snapshots for good.
func (s *Server) Retire(fleet string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.acked, fleet)
	delete(s.errors, fleet)
}

// snapshotOf makes a snapshot whose version is a hash of its content, so equal configurations are
// never pushed twice. Each resource is marshaled and hashed once: the hashes are also the per-resource
// versions delta streams need, which the cache would otherwise compute again. Validate checks the
// snapshot's consistency (and more) before it is served.
func snapshotOf(res *Resources) (string, *cachev3.Snapshot, error) {
	// Every type is present, empty or not: a type missing from the snapshot has no version, so the
	// cache never answers an Envoy's first request for it and a fleet with nothing to serve is never
	// acked (its Gateway would wait for Programmed forever).
	byType := map[string][]types.Resource{
		resourcev3.ListenerType: resourceList(res.Listeners),
		resourcev3.RouteType:    resourceList(res.Routes),
		resourcev3.ClusterType:  resourceList(res.Clusters),
		resourcev3.EndpointType: resourceList(res.Endpoints),
		resourcev3.SecretType:   resourceList(res.Secrets),
	}
	h := sha256.New()
	versions := map[string]map[string]string{}
	var errs []error
	for _, typ := range servedTypes {
		versions[typ] = make(map[string]string, len(byType[typ]))
		for _, r := range byType[typ] {
			b, err := cachev3.MarshalResource(r)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			v := cachev3.HashResource(b)
			versions[typ][cachev3.GetResourceName(r)] = v
			h.Write([]byte(typ))
			h.Write([]byte(v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return "", nil, err
	}
	version := hex.EncodeToString(h.Sum(nil))[:12]
	snap, err := cachev3.NewSnapshot(version, byType)
	if err != nil {
		return "", nil, err
	}
	snap.VersionMap = versions
	return version, snap, nil
}

// servedTypes are the resource types a snapshot holds, in the order their resources enter its version.
var servedTypes = []string{resourcev3.ListenerType, resourcev3.RouteType, resourcev3.ClusterType, resourcev3.EndpointType, resourcev3.SecretType}

func resourceList[T types.Resource](ms []T) []types.Resource {
	out := make([]types.Resource, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

// onResponse and onDeltaResponse remember the nonce and version of what a stream was sent last.
func (s *Server) onResponse(_ context.Context, stream int64, _ *discoveryv3.DiscoveryRequest, resp *discoveryv3.DiscoveryResponse) {
	s.sentResponse(streamKey{id: stream}, resp.TypeUrl, resp.Nonce, resp.VersionInfo)
}

func (s *Server) onDeltaResponse(stream int64, _ *discoveryv3.DeltaDiscoveryRequest, resp *discoveryv3.DeltaDiscoveryResponse) {
	s.sentResponse(streamKey{delta: true, id: stream}, resp.TypeUrl, resp.Nonce, resp.SystemVersionInfo)
}

func (s *Server) sentResponse(key streamKey, typeURL, nonce, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stream(key).sent[typeURL] = sentResponse{nonce, version}
}

// onRequest and onDeltaRequest record ACKs and NACKs. After a NACK of the version being served the
// fleet goes back to the last acked snapshot (or to none), so the cache does not answer the NACK with
// the same rejected version again and again.
func (s *Server) onRequest(stream int64, req *discoveryv3.DiscoveryRequest) error {
	s.onAnswer(streamKey{id: stream}, req.Node, req.TypeUrl, req.ResponseNonce, req.ErrorDetail.GetMessage(), req.ErrorDetail != nil)
	return nil
}

func (s *Server) onDeltaRequest(stream int64, req *discoveryv3.DeltaDiscoveryRequest) error {
	s.onAnswer(streamKey{delta: true, id: stream}, req.Node, req.TypeUrl, req.ResponseNonce, req.ErrorDetail.GetMessage(), req.ErrorDetail != nil)
	return nil
}

// onAnswer handles a request that answers the latest response of its type (an answer to an older
// nonce is ignored, as the xDS server ignores it).
func (s *Server) onAnswer(key streamKey, node *corev3.Node, typeURL, nonce, nackText string, nack bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stream(key)
	if node != nil { // the node is sent on the first request only
		st.node.Node, st.node.Fleet = node.Id, fleetHash{}.ID(node)
	}
	last, ok := st.sent[typeURL]
	if nonce == "" || !ok || last.nonce != nonce {
		return
	}
	if nack {
		s.nacked(&st.node, last.version, typeURL, nackText)
	} else if last.version == s.versionLocked(st.node.Fleet) {
		s.ackedVersion(&st.node, last.version)
	}
}

// stream returns the state of a stream, made on its first request. s.mu is held.
func (s *Server) stream(key streamKey) *streamState {
	st := s.streams[key]
	if st == nil {
		st = &streamState{sent: map[string]sentResponse{}}
		s.streams[key] = st
	}
	return st
}

// versionLocked is Version for a caller that holds s.mu.
func (s *Server) versionLocked(fleet string) string {
	if snap := s.current[fleet]; snap != nil {
		return snap.GetVersion(resourcev3.ListenerType)
	}
	return ""
}

// nacked records a rejection. The rejected version is never served again as a fallback; if it is the
// one being served, the fleet goes back to the last good snapshot. s.mu is held.
func (s *Server) nacked(ns *NodeStatus, version, typeURL, message string) {
	ns.Nacked, ns.NackText = version, message
	ns.Nacks++
	s.log.Warn("envoy rejected configuration", "fleet", ns.Fleet, "node", ns.Node, "version", version, "type", typeURL, "error", message)
	if s.obs.Nacked != nil {
		s.obs.Nacked(ns.Fleet, ns.Node, version)
	}
	s.acked[ns.Fleet] = slices.DeleteFunc(s.acked[ns.Fleet], func(x *cachev3.Snapshot) bool { return x.GetVersion(resourcev3.ListenerType) == version })
	if version == s.versionLocked(ns.Fleet) {
		s.holdAfterNack(ns.Fleet)
	}
}

// ackedVersion records that an Envoy took the version its fleet is served. s.mu is held.
func (s *Server) ackedVersion(ns *NodeStatus, version string) {
	if ns.Acked == version {
		return
	}
	ns.Acked = version
	if cur := s.current[ns.Fleet]; !slices.Contains(s.acked[ns.Fleet], cur) {
		s.acked[ns.Fleet] = append(s.acked[ns.Fleet], cur)
		if n := len(s.acked[ns.Fleet]); n > maxAcked {
			s.acked[ns.Fleet] = s.acked[ns.Fleet][n-maxAcked:]
		}
	}
	s.log.Info("envoy acked configuration", "fleet", ns.Fleet, "node", ns.Node, "version", version)
	if s.obs.Acked != nil {
		s.obs.Acked(ns.Fleet, ns.Node, version)
	}
}

// maxAcked is how many acked snapshots a fleet keeps to fall back on.
const maxAcked = 8

// holdAfterNack serves the newest acked snapshot (the rejected one has left the list), or nothing.
func (s *Server) holdAfterNack(fleet string) {
	var good *cachev3.Snapshot
	if n := len(s.acked[fleet]); n > 0 {
		good = s.acked[fleet][n-1]
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
	for _, st := range s.streams {
		fs := get(st.node.Fleet)
		fs.Nodes = append(fs.Nodes, st.node)
	}
	out := make([]FleetStatus, 0, len(fleets))
	for _, f := range fleets {
		sort.Slice(f.Nodes, func(i, j int) bool { return f.Nodes[i].Node < f.Nodes[j].Node })
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Fleet < out[j].Fleet })
	return out
}

func (s *Server) onClosed(key streamKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.streams, key)
}

// Serve serves xDS on lis until ctx ends.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	callbacks := serverv3.CallbackFuncs{
		StreamRequestFunc:       s.onRequest,
		StreamResponseFunc:      s.onResponse,
		StreamDeltaRequestFunc:  s.onDeltaRequest,
		StreamDeltaResponseFunc: s.onDeltaResponse,
		StreamClosedFunc:        func(id int64, _ *corev3.Node) { s.onClosed(streamKey{id: id}) },
		DeltaStreamClosedFunc:   func(id int64, _ *corev3.Node) { s.onClosed(streamKey{delta: true, id: id}) },
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
