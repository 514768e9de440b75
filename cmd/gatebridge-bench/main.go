// Command gatebridge-bench prints how long translation takes and how much memory it allocates for
// generated HTTPRoutes and Ingresses, and how long a file edit in standalone mode takes to answer
// through a real Envoy.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gatebridge/gatebridge/internal/bench"
	"github.com/gatebridge/gatebridge/internal/benchgen"
)

type config struct {
	sizes      []int
	minTime    time.Duration
	skipEnvoy  bool
	edits      int
	background []int
	poll       time.Duration
	verbose    bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gatebridge-bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("gatebridge-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	sizes := fs.String("sizes", joinInts(benchgen.Sizes), "numbers of HTTPRoutes and of Ingresses to translate")
	fs.DurationVar(&cfg.minTime, "benchtime", time.Second, "minimum time spent timing each stage of each size")
	fs.BoolVar(&cfg.skipEnvoy, "skip-envoy", false, "skip the edit latency through a real Envoy")
	fs.IntVar(&cfg.edits, "edits", 20, "edits timed per background size")
	background := fs.String("background", "0,1000", "numbers of HTTPRoutes already in the folder when the edits are timed")
	fs.DurationVar(&cfg.poll, "poll", 300*time.Millisecond, "how often standalone mode looks at its folder")
	fs.BoolVar(&cfg.verbose, "v", false, "print the logs of standalone mode")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	var errs []error
	var err error
	if cfg.sizes, err = parseInts(*sizes); err != nil {
		errs = append(errs, fmt.Errorf("-sizes: %w", err))
	}
	if cfg.background, err = parseInts(*background); err != nil {
		errs = append(errs, fmt.Errorf("-background: %w", err))
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " ")))
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(stderr, err)
		fs.Usage()
		return cfg, err
	}
	return cfg, nil
}

// joinInts writes ns as parseInts reads them.
func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// parseInts reads a comma-separated list of non-negative numbers.
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a non-negative number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	fmt.Fprintf(stdout, "Translation, per run (convert = convert.Translate; envoyxds = envoyxds.Translate of the fleet + Validate):\n\n")
	var rows []bench.TranslationRow
	for _, k := range benchgen.Kinds {
		for _, n := range cfg.sizes {
			if err := ctx.Err(); err != nil {
				return err
			}
			row, err := bench.MeasureTranslation(k, n, cfg.minTime)
			if err != nil {
				return err
			}
			rows = append(rows, row)
		}
	}
	if err := bench.PrintTranslation(stdout, rows); err != nil {
		return err
	}
	if cfg.skipEnvoy {
		return nil
	}
	log := slog.New(slog.DiscardHandler)
	if cfg.verbose {
		log = slog.New(slog.NewTextHandler(stderr, nil))
	}
	fmt.Fprintf(stdout, "\nFile edit to the new route answering through Envoy (standalone mode polling every %s):\n\n", cfg.poll)
	var results []bench.EditResult
	for _, bg := range cfg.background {
		res, err := bench.MeasureEdits(ctx, bench.EditOptions{Edits: cfg.edits, Background: bg, Poll: cfg.poll, Log: log})
		if err != nil {
			return fmt.Errorf("edits with %d background routes: %w", bg, err)
		}
		results = append(results, res)
	}
	return bench.PrintEdits(stdout, results)
}
