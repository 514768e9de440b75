// Package bench measures gatebridge: the time and memory of both translation stages for generated
// inputs, and the time from a file edit in standalone mode to the new route answering through Envoy.
package bench

import (
	"fmt"
	"runtime"
	"time"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/envoyxds"
	"github.com/gatebridge/gatebridge/internal/benchgen"
)

// TranslationRow is what translating n objects of one kind costs, per run.
type TranslationRow struct {
	Kind string
	N    int
	// Convert is convert.Translate; Envoy is envoyxds.Translate of the fleet plus Resources.Validate, as
	// done before every push.
	Convert, Envoy time.Duration
	// ConvertAlloc and EnvoyAlloc are the bytes each stage allocates per run; ModelLive is the heap the
	// result of convert.Translate keeps alive.
	ConvertAlloc, EnvoyAlloc, ModelLive       uint64
	VirtualServices, ModelRoutes, EnvoyRoutes int
}

// measurement is the mean time and allocation of one run of a function.
type measurement struct {
	perRun time.Duration
	alloc  uint64
}

// measure runs f once to warm up, then again until minTime has passed (at least once), and returns the
// mean of the timed runs.
func measure(minTime time.Duration, f func()) measurement {
	f()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	runs := 0
	for runs == 0 || time.Since(start) < minTime {
		f()
		runs++
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return measurement{perRun: elapsed / time.Duration(runs), alloc: (after.TotalAlloc - before.TotalAlloc) / uint64(runs)}
}

// liveHeap is how much heap the value f returns keeps alive.
func liveHeap[T any](f func() T) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := f()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	if after.HeapAlloc < before.HeapAlloc {
		return 0
	}
	return after.HeapAlloc - before.HeapAlloc
}

// MeasureTranslation translates n generated objects of kind k through both stages, each repeatedly for
// at least minTime. Generating the input is not measured.
func MeasureTranslation(k benchgen.Kind, n int, minTime time.Duration) (TranslationRow, error) {
	in := k.Generate(n)
	row := TranslationRow{Kind: k.Name, N: n}
	var res convert.Result
	conv := measure(minTime, func() { res = convert.Translate(in, convert.Options{}) })
	if len(res.Notes) > 0 {
		return row, fmt.Errorf("translate %d %ss: %d notes, the first: %s", n, k.Name, len(res.Notes), res.Notes[0])
	}
	row.Convert, row.ConvertAlloc = conv.perRun, conv.alloc
	row.ModelLive = liveHeap(func() convert.Result { return convert.Translate(in, convert.Options{}) })

	var resources *envoyxds.Resources
	var envoyErr error
	envoy := measure(minTime, func() {
		resources, envoyErr = envoyxds.Translate(&res.Snapshot, k.Fleet, envoyxds.Options{})
		if envoyErr == nil {
			envoyErr = resources.Validate()
		}
	})
	if envoyErr != nil {
		return row, fmt.Errorf("envoy resources of %d %ss: %w", n, k.Name, envoyErr)
	}
	row.Envoy, row.EnvoyAlloc = envoy.perRun, envoy.alloc
	row.VirtualServices = len(res.Snapshot.VirtualServices)
	for _, vs := range res.Snapshot.VirtualServices {
		row.ModelRoutes += len(vs.Spec.Http)
	}
	for _, rc := range resources.Routes {
		for _, vh := range rc.VirtualHosts {
			row.EnvoyRoutes += len(vh.Routes)
		}
	}
	return row, nil
}
