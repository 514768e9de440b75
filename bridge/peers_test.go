package bridge

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestPeerPollerReadsOtherReplicas serves /xds-acks as two replicas would (one of them this replica,
// one not ready) and checks the leader reads only the other ready one, and only while it waits.
func TestPeerPollerReadsOtherReplicas(t *testing.T) {
	asked := map[string]int{}
	var mu sync.Mutex
	peer := func(name string, acks ackedVersions) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			asked[name]++
			mu.Unlock()
			if r.URL.Path != "/xds-acks" {
				http.NotFound(w, r)
				return
			}
			_ = json.NewEncoder(w).Encode(acks)
		}))
		t.Cleanup(s.Close)
		return s
	}
	other := peer("other", ackedVersions{"gateway-ns-web": {"v1", "v2"}})
	_, port, _ := net.SplitHostPort(other.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	poller := newPeerPoller(Peers{Service: "gb/gatebridge", Port: p, Self: "127.0.0.2", Every: 10 * time.Millisecond})
	ready, notReady := true, false
	poller.update([]discoveryv1.EndpointSlice{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "gb", Name: "gatebridge-x", Labels: map[string]string{discoveryv1.LabelServiceName: "gatebridge"}},
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"127.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}},
			{Addresses: []string{"127.0.0.2"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}},    // self
			{Addresses: []string{"127.0.0.3"}, Conditions: discoveryv1.EndpointConditions{Ready: &notReady}}, // not ready
		},
	}, {
		ObjectMeta: metav1.ObjectMeta{Namespace: "gb", Name: "unrelated", Labels: map[string]string{discoveryv1.LabelServiceName: "other"}},
		Endpoints:  []discoveryv1.Endpoint{{Addresses: []string{"127.0.0.4"}}},
	}})
	if want := []string{net.JoinHostPort("127.0.0.1", port)}; len(poller.addrs) != 1 || poller.addrs[0] != want[0] {
		t.Fatalf("peers %v, want %v", poller.addrs, want)
	}

	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan string, 10)
	var waiting atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		poller.run(ctx, waiting.Load, func(fleet, version string) { got <- fleet + "@" + version })
	}()
	time.Sleep(50 * time.Millisecond) // several periods in which nothing is awaited
	mu.Lock()
	if asked["other"] != 0 {
		t.Errorf("asked a peer %d times while no Gateway waited", asked["other"])
	}
	mu.Unlock()
	waiting.Store(true)
	seen := map[string]bool{}
	for len(seen) < 2 {
		select {
		case v := <-got:
			seen[v] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("acks read from the peer: %v", seen)
		}
	}
	cancel()
	<-done
	if !seen["gateway-ns-web@v1"] || !seen["gateway-ns-web@v2"] {
		t.Errorf("acks %v, want v1 and v2 of gateway-ns-web", seen)
	}
}
