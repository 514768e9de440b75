package e2e

import (
	"fmt"
	"testing"

	"github.com/gatebridge/gatebridge/envoyxds"
)

// TestFleetWithNothingToServeIsAcked serves a Gateway with no route: its fleet has no route, cluster,
// endpoint or secret (and, with no route, no listener). A real Envoy must still ack that version, or a
// Gateway without routes would never become Programmed.
func TestFleetWithNothingToServeIsAcked(t *testing.T) {
	for _, mode := range []struct {
		name    string
		options []func(*envoyxds.BootstrapOptions)
	}{{name: "sotw"}, {name: "delta", options: []func(*envoyxds.BootstrapOptions){deltaXDS}}} {
		t.Run(mode.name, func(t *testing.T) {
			h := start(t, "gateway-shop-web", map[string]string{"gateway.yaml": gatewayManifests}, mode.options...)
			eventually(t, "ack of the empty configuration", func() error {
				version := h.sa.Server.Version("gateway-shop-web")
				for _, f := range h.sa.Server.Status() {
					for _, n := range f.Nodes {
						if f.Fleet == "gateway-shop-web" && version != "" && n.Acked == version {
							return nil
						}
					}
				}
				return fmt.Errorf("fleet served version %q, not acked: %+v", version, h.sa.Server.Status())
			})
			// Answered at once, not acked only after Envoy gave up waiting for a first answer.
			for _, stat := range []string{"cluster_manager.cds.init_fetch_timeout", "listener_manager.lds.init_fetch_timeout"} {
				if n, err := h.stat(stat); err != nil || n != 0 {
					t.Errorf("%s = %d (%v), want 0: the first requests went unanswered", stat, n, err)
				}
			}
		})
	}
}
