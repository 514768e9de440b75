package envoyxds

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gatebridge/gatebridge/internal/eventually"
)

// TestNackNamesTheRejectedVersion pushes a version, then a newer one before the Envoy answered the
// first: the Envoy's NACK names the first (by its nonce), so the newer one must keep being served.
func TestNackNamesTheRejectedVersion(t *testing.T) {
	ctx, s, addr := serveADS(t)
	const fleet = "f"
	update := func(golden string) string {
		v, err := s.Update(ctx, fleet, goldenResources(t, golden))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	good := update("gwapi-backends-weighted")
	envoy := dialADS(ctx, t, addr, "envoy-a", fleet)
	resp := envoy.recv(good)
	envoy.send(&discoveryv3.DiscoveryRequest{VersionInfo: good, ResponseNonce: resp.Nonce})

	rejected := update("gwapi-filter-mirror")
	resp = envoy.recv(rejected)
	newer := update("ingress-tls") // pushed while the Envoy still looks at the rejected version
	envoy.send(&discoveryv3.DiscoveryRequest{VersionInfo: good, ResponseNonce: resp.Nonce,
		ErrorDetail: status.New(codes.InvalidArgument, "rejected").Proto()})
	eventually.Within(t, 10*time.Second, "the NACK recorded", func() error {
		for _, f := range s.Status() {
			for _, n := range f.Nodes {
				if n.Nacked == rejected {
					return nil
				}
			}
		}
		return fmt.Errorf("no node NACKed %s: %+v", rejected, s.Status())
	})
	if v := s.Version(fleet); v != newer {
		t.Errorf("served %s after the NACK of %s, want the newer %s kept (the last good is %s)", v, rejected, newer, good)
	}
	envoy.recv(newer) // and it is sent
}

// serveADS runs a Server on a local port until the test ends; it returns the context the test's
// streams use, the server and its address.
func serveADS(t *testing.T) (context.Context, *Server, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s := NewServer(discardLog())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ctx, lis)
	return ctx, s, lis.Addr().String()
}

// TestSnapshotVersionMap checks that the per-resource versions snapshotOf computes are those the cache
// would compute for delta streams, and that the snapshot's version is a hash of its content.
func TestSnapshotVersionMap(t *testing.T) {
	res := goldenResources(t, "ingress-tls")
	version, snap, err := snapshotOf(res)
	if err != nil {
		t.Fatal(err)
	}
	want := &cachev3.Snapshot{Resources: snap.Resources}
	if err := want.ConstructVersionMap(); err != nil {
		t.Fatal(err)
	}
	for _, typ := range servedTypes {
		if len(want.VersionMap[typ]) == 0 {
			t.Errorf("%s: no resources in the golden case", typ)
		}
		if diff := cmp.Diff(want.VersionMap[typ], snap.GetVersionMap(typ)); diff != "" {
			t.Errorf("%s versions (-cache +snapshotOf):\n%s", typ, diff)
		}
	}
	if again, _, err := snapshotOf(res); err != nil || again != version {
		t.Errorf("the same resources got version %s (%v), then %s", version, err, again)
	}
	res.Clusters = res.Clusters[1:]
	if other, _, err := snapshotOf(res); err != nil || other == version {
		t.Errorf("one cluster less kept version %s (%v)", version, err)
	}
}

// TestRetireForgetsAFleet checks that a fleet served nothing any more keeps no snapshot to fall back on
// and no error, while its empty configuration stays served.
func TestRetireForgetsAFleet(t *testing.T) {
	s := NewServer(discardLog())
	ctx := context.Background()
	if _, err := s.Update(ctx, "gone", goldenResources(t, "ingress-tls")); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.acked["gone"] = append(s.acked["gone"], s.current["gone"]) // as an Envoy's ack records it
	s.errors["gone"] = "an earlier update was refused"
	s.mu.Unlock()
	empty, err := s.Update(ctx, "gone", &Resources{})
	if err != nil {
		t.Fatal(err)
	}
	s.Retire("gone")
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.acked["gone"]) != 0 || s.errors["gone"] != "" {
		t.Errorf("after Retire: %d acked snapshots, error %q; want none", len(s.acked["gone"]), s.errors["gone"])
	}
	if v := s.versionLocked("gone"); v != empty {
		t.Errorf("served version %q after Retire, want the empty configuration's %q", v, empty)
	}
}
