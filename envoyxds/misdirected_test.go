package envoyxds

import (
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
)

// TestChainOwner checks which filter chain of a port takes a host, as Envoy picks a chain by SNI: the
// exact name, then the longest wildcard, then the chain without names.
func TestChainOwner(t *testing.T) {
	chain := func(names ...string) *listenerv3.FilterChain {
		return &listenerv3.FilterChain{FilterChainMatch: &listenerv3.FilterChainMatch{ServerNames: names}}
	}
	withCatchAll := []*listenerv3.FilterChain{
		chain(), chain("second.example.org"), chain("*.wildcard.org"), chain("fourth.wildcard.org"), chain("*.deep.wildcard.org", "other.example"),
	}
	withoutCatchAll := withCatchAll[1:]
	tests := []struct {
		host        string
		chains      []*listenerv3.FilterChain
		want        int
		wantNoCatch int
	}{
		{"example.org", withCatchAll, 0, -1},
		{"*", withCatchAll, 0, -1},
		{"second.example.org", withCatchAll, 1, 0},
		{"third.wildcard.org", withCatchAll, 2, 1},
		{"*.wildcard.org", withCatchAll, 2, 1},
		{"a.b.wildcard.org", withCatchAll, 2, 1},
		{"fourth.wildcard.org", withCatchAll, 3, 2},
		{"x.deep.wildcard.org", withCatchAll, 4, 3},
		{"*.deep.wildcard.org", withCatchAll, 4, 3},
		{"other.example", withCatchAll, 4, 3},
		{"wildcard.org", withCatchAll, 0, -1},
	}
	for _, tt := range tests {
		if got := chainOwner(tt.host, tt.chains); got != tt.want {
			t.Errorf("chainOwner(%q) with a catch-all chain = %d, want %d", tt.host, got, tt.want)
		}
		if got := chainOwner(tt.host, withoutCatchAll); got != tt.wantNoCatch {
			t.Errorf("chainOwner(%q) without a catch-all chain = %d, want %d", tt.host, got, tt.wantNoCatch)
		}
	}
}
