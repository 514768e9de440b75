package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/envoyxds"
)

func runStandalone(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("gatebridge standalone", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "folder of manifests to serve (edits apply live)")
	f := addServeFlags(fs, "127.0.0.1:18000", "127.0.0.1")
	if err := fs.Parse(args); err != nil || *dir == "" || fs.NArg() > 0 {
		if err == nil {
			fmt.Fprintln(stderr, "usage: gatebridge standalone --dir DIR [--xds HOST:PORT] [--debug-address HOST:PORT] [--port-offset N]")
		}
		return errUsage
	}
	log := newLogger(stderr, f.verbose)
	lis, debug, err := f.listen(log)
	if err != nil {
		return err
	}
	log.Info("serving xDS", "address", lis.Addr().String(), "dir", *dir)
	return bridge.NewStandalone(bridge.StandaloneOptions{
		Dir: *dir, Translate: f.translate, Envoy: f.envoyOptions(), Log: log, DebugListener: debug,
	}).Run(ctx, lis)
}

func runBootstrap(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gatebridge bootstrap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o envoyxds.BootstrapOptions
	fs.StringVar(&o.Fleet, "fleet", "", "fleet of the Envoy: ingress-<class> or gateway-<namespace>-<name>")
	fs.StringVar(&o.NodeID, "node", "", "node id (default: the fleet)")
	fs.StringVar(&o.XDS, "xds", "127.0.0.1:18000", "address of gatebridge's xDS server")
	admin := fs.Uint("admin-port", 19000, "port of Envoy's admin interface (on 127.0.0.1)")
	fs.BoolVar(&o.Delta, "delta", false, "use incremental (delta) ADS instead of state of the world")
	if err := fs.Parse(args); err != nil || o.Fleet == "" {
		if err == nil {
			fmt.Fprintln(stderr, "usage: gatebridge bootstrap --fleet FLEET [--xds HOST:PORT] [--admin-port N] [--delta]")
		}
		return errUsage
	}
	o.AdminPort = uint32(*admin)
	b, err := envoyxds.Bootstrap(o)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}
