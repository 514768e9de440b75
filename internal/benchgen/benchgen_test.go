package benchgen_test

import (
	"bytes"
	"testing"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/internal/benchgen"
)

// counts is what a translation produced, as far as these tests care.
type counts struct {
	virtualServices, httpRoutes, fleets, served int
}

func countsOf(t *testing.T, res convert.Result, fleet string) counts {
	t.Helper()
	for _, n := range res.Notes {
		t.Errorf("unexpected note: %s", n)
	}
	if err := res.Snapshot.Validate(); err != nil {
		t.Errorf("invalid model: %v", err)
	}
	var c counts
	for _, vs := range res.Snapshot.VirtualServices {
		if vs.Fleet != fleet {
			t.Errorf("VirtualService %s/%s is in fleet %s, want %s", vs.Namespace, vs.Name, vs.Fleet, fleet)
		}
		c.virtualServices++
		c.httpRoutes += len(vs.Spec.Http)
	}
	c.fleets = len(res.Snapshot.Fleets())
	c.served = len(res.Status.Routes) + len(res.Status.Ingresses)
	return c
}

func TestGenerators(t *testing.T) {
	tests := []struct {
		name     string
		generate func(int) convert.Input
		n        int
		fleet    string
		// 50 objects over 8 namespaces: 7 in the first two, 6 in the others, 4 per host: 16 hosts.
		want counts
	}{
		// HTTPRoutes: segment prefix (2 routes) + exact (1), every third a header-matched prefix (2).
		{"httproutes", benchgen.HTTPRoutes, 50, benchgen.GatewayFleet, counts{16, 50*3 + 17*2, 1, 50}},
		// Ingresses: Prefix (2 routes) + Exact (1), every other an ImplementationSpecific path (1).
		{"ingresses", benchgen.Ingresses, 50, benchgen.IngressFleet, counts{16, 50*3 + 25, 1, 50}},
		{"one httproute", benchgen.HTTPRoutes, 1, benchgen.GatewayFleet, counts{1, 5, 1, 1}},
		{"one ingress", benchgen.Ingresses, 1, benchgen.IngressFleet, counts{1, 4, 1, 1}},
		{"no httproutes", benchgen.HTTPRoutes, 0, benchgen.GatewayFleet, counts{0, 0, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.generate(tt.n)
			if got := countsOf(t, convert.Translate(in, convert.Options{}), tt.fleet); got != tt.want {
				t.Errorf("translation gave %+v, want %+v", got, tt.want)
			}
			// The same objects, printed as manifests and read back, translate the same way.
			b, err := benchgen.Manifests(in)
			if err != nil {
				t.Fatal(err)
			}
			var read convert.Input
			if err := read.Decode("generated", bytes.NewReader(b)); err != nil {
				t.Fatalf("read manifests back: %v", err)
			}
			if got := countsOf(t, convert.Translate(read, convert.Options{}), tt.fleet); got != tt.want {
				t.Errorf("translation of the printed manifests gave %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestHostsAreShared(t *testing.T) {
	tests := []struct {
		name string
		host func(int) string
	}{
		{"httproutes", benchgen.HTTPRouteHost},
		{"ingresses", benchgen.IngressHost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hosts := map[string]int{}
			namespaces := map[string]bool{}
			for i := range 800 { // 100 per namespace, 25 hosts per namespace
				hosts[tt.host(i)]++
				namespaces[benchgen.Namespace(i)] = true
			}
			if len(hosts) != 800/benchgen.RoutesPerHost || len(namespaces) != benchgen.Namespaces {
				t.Errorf("800 objects over %d hosts and %d namespaces, want %d and %d",
					len(hosts), len(namespaces), 800/benchgen.RoutesPerHost, benchgen.Namespaces)
			}
			for h, n := range hosts {
				if n != benchgen.RoutesPerHost {
					t.Errorf("host %s has %d objects, want %d", h, n, benchgen.RoutesPerHost)
				}
			}
		})
	}
}
