package convert_test

import (
	"fmt"
	"testing"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/internal/benchgen"
)

// benchSizes are the numbers of HTTPRoutes or Ingresses each benchmark translates.
var benchSizes = []int{100, 1000, 10000}

func BenchmarkTranslateHTTPRoutes(b *testing.B) { benchmarkTranslate(b, benchgen.HTTPRoutes) }

func BenchmarkTranslateIngresses(b *testing.B) { benchmarkTranslate(b, benchgen.Ingresses) }

// benchmarkTranslate times convert.Translate of generated inputs; building them is not timed.
func benchmarkTranslate(b *testing.B, generate func(int) convert.Input) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			in := generate(n)
			b.ReportAllocs()
			var res convert.Result
			for b.Loop() {
				res = convert.Translate(in, convert.Options{})
			}
			if len(res.Notes) > 0 {
				b.Fatalf("translation noted %d problems, the first: %s", len(res.Notes), res.Notes[0])
			}
			routes := 0
			for _, vs := range res.Snapshot.VirtualServices {
				routes += len(vs.Spec.Http)
			}
			b.ReportMetric(float64(routes), "routes")
		})
	}
}
