package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/gatebridge/gatebridge/envoyxds"
)

// Peers let the leader see the acks of Envoys connected to other replicas: every replica serves the
// versions its Envoys acked on /xds-acks (health listener), and the leader reads them from the other
// ready endpoints of the controller's Service. Versions are hashes of the resources, so the same
// configuration has the same version on every replica.
type Peers struct {
	// Service is "namespace/name" of the Service in front of the replicas.
	Service string
	// Port is the port of the replicas' health listener.
	Port int
	// Self is this replica's own address (its pod IP), left out.
	Self string
	// Every is how often the leader asks while a Gateway waits for an ack (default 2 s).
	Every time.Duration
}

// ackedVersions is what /xds-acks serves: by fleet, the versions Envoys connected here acked.
type ackedVersions map[string][]string

func localAcks(server *envoyxds.Server) ackedVersions {
	out := ackedVersions{}
	for _, f := range server.Status() {
		for _, n := range f.Nodes {
			if n.Acked != "" && !slices.Contains(out[f.Fleet], n.Acked) {
				out[f.Fleet] = append(out[f.Fleet], n.Acked)
			}
		}
	}
	return out
}

func serveAcks(server *envoyxds.Server) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(localAcks(server))
	}
}

// peerPoller asks the other replicas for their acks while this replica leads.
type peerPoller struct {
	opts   Peers
	client *http.Client

	mu    sync.Mutex
	addrs []string // host:port of the other ready replicas
}

func newPeerPoller(opts Peers) *peerPoller {
	if opts.Every <= 0 {
		opts.Every = 2 * time.Second
	}
	return &peerPoller{opts: opts, client: &http.Client{Timeout: time.Second}}
}

// update takes the replicas' addresses from the EndpointSlices of the peer Service.
func (p *peerPoller) update(eps []discoveryv1.EndpointSlice) {
	ns, name, _ := strings.Cut(p.opts.Service, "/")
	var addrs []string
	for i := range eps {
		s := &eps[i]
		if s.Namespace != ns || s.Labels[discoveryv1.LabelServiceName] != name {
			continue
		}
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			for _, a := range ep.Addresses {
				if a != p.opts.Self {
					addrs = append(addrs, net.JoinHostPort(a, strconv.Itoa(p.opts.Port)))
				}
			}
		}
	}
	slices.Sort(addrs)
	p.mu.Lock()
	p.addrs = slices.Compact(addrs)
	p.mu.Unlock()
}

// run asks every peer, each period in which wanted says acks are awaited, and hands each acked
// version to acked.
func (p *peerPoller) run(ctx context.Context, wanted func() bool, acked func(fleet, version string)) {
	tick := time.NewTicker(p.opts.Every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !wanted() {
			continue
		}
		p.mu.Lock()
		addrs := slices.Clone(p.addrs)
		p.mu.Unlock()
		for _, a := range addrs {
			got, err := p.fetch(ctx, a)
			if err != nil {
				continue // a replica going away or not ready yet; asked again next period
			}
			for fleet, versions := range got {
				for _, v := range versions {
					acked(fleet, v)
				}
			}
		}
	}
}

func (p *peerPoller) fetch(ctx context.Context, addr string) (ackedVersions, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/xds-acks", nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("peer %s: %s", addr, resp.Status)
	}
	var out ackedVersions
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("peer %s: %w", addr, err)
	}
	return out, nil
}
