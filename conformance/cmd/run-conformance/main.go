// Command run-conformance runs the Gateway API conformance suite against gatebridge on this machine:
// inside a private network namespace it starts a control plane, the process kubelet, gatebridge in
// local mode (its Envoys binding the Gateways' addresses) and the suite's test binary, and writes the
// suite's report. `make conformance` builds what it needs and runs it under unshare.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// config holds the flags.
type config struct {
	gatebridge, envoy, echoBasic, suite string
	report, work, version               string
	features, runTest, suiteArgs        string
	keep                                bool
}

func main() {
	var c config
	flag.StringVar(&c.gatebridge, "gatebridge", "bin/gatebridge", "gatebridge binary")
	flag.StringVar(&c.envoy, "envoy", ".venv/bin/envoy", "Envoy binary the controller runs per fleet")
	flag.StringVar(&c.echoBasic, "echo-basic", "bin/echo-basic", "the suite's echo backend, built from sigs.k8s.io/gateway-api/conformance/echo-basic")
	flag.StringVar(&c.suite, "suite", "bin/conformance.test", "the suite's test binary (go test -c of this module)")
	flag.StringVar(&c.report, "report", "", "where the suite writes its ConformanceReport (none when empty)")
	flag.StringVar(&c.work, "work", "", "folder of the run's files and logs (a new temporary one when empty)")
	flag.StringVar(&c.version, "version", "dev", "gatebridge version written in the report")
	flag.StringVar(&c.features, "features", "", "comma-separated extended features to test instead of those gatebridge claims ("+strings.Join(names(claimedFeatures), ",")+"); "+allExtended+": all of the profiles'")
	flag.StringVar(&c.runTest, "run-test", "", "run only this test of the suite (its ShortName)")
	flag.StringVar(&c.suiteArgs, "suite-args", "", "more flags for the suite, space-separated")
	flag.BoolVar(&c.keep, "keep", false, "keep everything running after the suite, until interrupted")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c, log); err != nil {
		log.Error("conformance run failed", "err", err)
		os.Exit(1)
	}
}

// run sets up everything, runs the suite and tears everything down. The suite failing is an error.
func run(ctx context.Context, c config, log *slog.Logger) error {
	if err := c.absolute(); err != nil {
		return err
	}
	if err := setUpNetwork(); err != nil {
		return err
	}
	start := time.Now()
	env, err := startEnvironment(ctx, c, log)
	if env != nil {
		defer env.stop()
	}
	if err != nil {
		return err
	}
	log.Info("environment ready", "took", time.Since(start).Round(time.Millisecond), "work", c.work)
	suiteStart := time.Now()
	err = runSuite(ctx, c, env, log)
	log.Info("suite finished", "took", time.Since(suiteStart).Round(time.Second), "total", time.Since(start).Round(time.Second), "err", err)
	if c.keep {
		log.Info("keeping everything running until interrupted", "kubeconfig", env.cluster.Kubeconfig)
		<-ctx.Done()
	}
	return err
}

// absolute makes every path absolute (the suite runs in another folder) and checks the binaries.
func (c *config) absolute() error {
	if c.work == "" {
		d, err := os.MkdirTemp("", "gatebridge-conformance-")
		if err != nil {
			return fmt.Errorf("make work folder: %w", err)
		}
		c.work = d
	}
	var errs []error
	for _, p := range []*string{&c.gatebridge, &c.envoy, &c.echoBasic, &c.suite, &c.report, &c.work} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		*p = abs
	}
	for _, bin := range []string{c.gatebridge, c.envoy, c.echoBasic, c.suite} {
		if _, err := os.Stat(bin); err != nil {
			errs = append(errs, fmt.Errorf("%w (build it first: make conformance)", err))
		}
	}
	return errors.Join(errs...)
}
