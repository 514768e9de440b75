package envoyxds_test

import (
	"fmt"
	"testing"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/envoyxds"
	"github.com/gatebridge/gatebridge/internal/benchgen"
)

// BenchmarkTranslateEnvoy times the model → Envoy stage of one fleet (resources, then the validation
// done before every push) for the models of generated HTTPRoutes and Ingresses; the model is built once,
// outside the timer.
func BenchmarkTranslateEnvoy(b *testing.B) {
	kinds := []struct {
		name     string
		generate func(int) convert.Input
		fleet    string
	}{
		{"HTTPRoutes", benchgen.HTTPRoutes, benchgen.GatewayFleet},
		{"Ingresses", benchgen.Ingresses, benchgen.IngressFleet},
	}
	for _, k := range kinds {
		for _, n := range []int{100, 1000, 10000} {
			b.Run(fmt.Sprintf("%s/n=%d", k.name, n), func(b *testing.B) {
				res := convert.Translate(k.generate(n), convert.Options{})
				snap := &res.Snapshot
				b.ReportAllocs()
				var out *envoyxds.Resources
				for b.Loop() {
					r, err := envoyxds.Translate(snap, k.fleet, envoyxds.Options{})
					if err != nil {
						b.Fatal(err)
					}
					if err := r.Validate(); err != nil {
						b.Fatal(err)
					}
					out = r
				}
				routes := 0
				for _, rc := range out.Routes {
					for _, vh := range rc.VirtualHosts {
						routes += len(vh.Routes)
					}
				}
				b.ReportMetric(float64(routes), "routes")
			})
		}
	}
}
