// Command gatebridge converts Ingress and Gateway API objects into the Istio gateway model and serves
// them to Envoy.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// errUsage marks a command line that cannot be run; main prints usage and exits 2.
var errUsage = errors.New("usage")

// exitCode is an outcome (not a failure) that a command reports with an exit status of its own; run
// prints nothing for it.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"convert", "print the Istio resources (and status) that manifests translate to", runConvert},
		{"migrate", "convert ingress-nginx Ingresses to Gateway API (or Istio) resources, with a report", runMigrate},
		{"controller", "watch a Kubernetes API server and serve what it holds to Envoy over xDS", runController},
		{"standalone", "serve a folder of manifests to Envoy over xDS, following edits", runStandalone},
		{"bootstrap", "print the Envoy bootstrap of one Envoy of a fleet", runBootstrap},
		{"manifests", "print the manifests that install gatebridge, the Gateway API CRDs, or an Envoy fleet", runManifests},
		{"demo", "serve the bundled shop through a real Envoy, with demo backends and a local certificate", runDemo},
		{"version", "print the version", func(_ context.Context, _ []string, stdout, _ io.Writer) error {
			_, err := fmt.Fprintln(stdout, "gatebridge", version)
			return err
		}},
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return 2
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errUsage):
			return 2
		}
		var code exitCode
		switch {
		case errors.As(err, &code):
			return int(code)
		default:
			fmt.Fprintf(stderr, "gatebridge %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "gatebridge: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: gatebridge <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'gatebridge <command> -h' for the flags of a command.")
}
