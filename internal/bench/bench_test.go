package bench

import (
	"slices"
	"testing"
	"time"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/internal/benchgen"
)

func TestSummarize(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		var out []time.Duration
		for _, v := range vs {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	tests := []struct {
		name string
		in   []time.Duration
		want []time.Duration // min, median, p90, max
	}{
		{"empty", nil, ms(0, 0, 0, 0)},
		{"one", ms(7), ms(7, 7, 7, 7)},
		{"two", ms(9, 1), ms(1, 1, 9, 9)},
		{"ten unsorted", ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), ms(1, 5, 9, 10)},
		{"twenty", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20), ms(1, 10, 18, 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Summarize(tt.in)
			if got := []time.Duration{s.Min, s.Median, s.P90, s.Max}; !slices.Equal(got, tt.want) {
				t.Errorf("Summarize(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestMeasureTranslation(t *testing.T) {
	tests := []struct {
		kind   benchgen.Kind
		n      int
		routes int
	}{
		{benchgen.Kinds[0], 10, 10*3 + 4*2},
		{benchgen.Kinds[1], 10, 10*3 + 5},
	}
	for _, tt := range tests {
		t.Run(tt.kind.Name, func(t *testing.T) {
			row, err := MeasureTranslation(tt.kind, tt.n, 0)
			if err != nil {
				t.Fatal(err)
			}
			if row.ModelRoutes != tt.routes || row.EnvoyRoutes != tt.routes {
				t.Errorf("%d model routes and %d Envoy routes, want %d", row.ModelRoutes, row.EnvoyRoutes, tt.routes)
			}
			if row.Convert <= 0 || row.Envoy <= 0 || row.ConvertAlloc == 0 || row.EnvoyAlloc == 0 {
				t.Errorf("nothing measured: %+v", row)
			}
		})
	}
}

// TestEditManifests checks, without Envoy, that the folder the edit benchmark serves translates to a
// route for every edited hostname.
func TestEditManifests(t *testing.T) {
	// One hostname per namespace: RoutesPerHost routes in each.
	const background = benchgen.Namespaces * benchgen.RoutesPerHost
	r := &rig{dir: t.TempDir()}
	if err := r.writeBase(background, "127.0.0.1:9"); err != nil {
		t.Fatal(err)
	}
	var hosts []string
	for k := range 3 {
		name, host, manifest := editRoute(k)
		if err := r.write(name+".yaml", manifest); err != nil {
			t.Fatal(err)
		}
		hosts = append(hosts, host)
	}
	in, err := convert.LoadPaths("default", r.dir)
	if err != nil {
		t.Fatal(err)
	}
	res := convert.Translate(in, convert.Options{})
	for _, n := range res.Notes {
		t.Errorf("unexpected note: %s", n)
	}
	served := map[string]bool{}
	for _, vs := range res.Snapshot.VirtualServices {
		if vs.Fleet == editFleet && len(vs.Spec.Http) > 0 {
			served[vs.Spec.Hosts[0]] = true
		}
	}
	for _, h := range hosts {
		if !served[h] {
			t.Errorf("no routes for %s", h)
		}
	}
	if len(served) != len(hosts)+benchgen.Namespaces {
		t.Errorf("%d hostnames served, want %d edited and %d generated", len(served), len(hosts), benchgen.Namespaces)
	}
}
