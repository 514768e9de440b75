package bench

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// Summary is the distribution of a set of durations; percentiles are nearest-rank.
type Summary struct {
	Min, Median, P90, Max time.Duration
}

// Summarize returns the distribution of ds (the zero Summary when ds is empty).
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return Summary{Min: s[0], Median: nearestRank(s, 50), P90: nearestRank(s, 90), Max: s[len(s)-1]}
}

// nearestRank is the smallest value of sorted s that at least p percent of the values do not exceed.
func nearestRank(s []time.Duration, p int) time.Duration {
	rank := (p*len(s) + 99) / 100
	return s[max(rank, 1)-1]
}

func millis(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func mebibytes(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// PrintTranslation prints one line per kind and size.
func PrintTranslation(w io.Writer, rows []TranslationRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tobjects\tconvert\talloc\tmodel heap\tenvoyxds\talloc\tVirtualServices\tmodel routes\tEnvoy routes\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t\n", r.Kind, r.N,
			millis(r.Convert), mebibytes(r.ConvertAlloc), mebibytes(r.ModelLive),
			millis(r.Envoy), mebibytes(r.EnvoyAlloc), r.VirtualServices, r.ModelRoutes, r.EnvoyRoutes)
	}
	return tw.Flush()
}

// PrintEdits prints one line per background size: when the new configuration was pushed, and when the
// new route answered through Envoy.
func PrintEdits(w io.Writer, results []EditResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "background routes\tedits\tpushed median\tpushed p90\tanswered min\tmedian\tp90\tmax\t")
	for _, r := range results {
		p, a := Summarize(r.Pushed), Summarize(r.Answered)
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Background, len(r.Answered),
			millis(p.Median), millis(p.P90), millis(a.Min), millis(a.Median), millis(a.P90), millis(a.Max))
	}
	return tw.Flush()
}
