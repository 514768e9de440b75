package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/envoyxds"
)

func runStandalone(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("gatebridge standalone", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var topts convert.Options
	dir := fs.String("dir", "", "folder of manifests to serve (edits apply live)")
	xds := fs.String("xds", "127.0.0.1:18000", "address of the xDS (ADS/SDS) server")
	bind := fs.String("bind-address", "127.0.0.1", "address Envoy listeners bind")
	offset := fs.Uint("port-offset", 0, "added to every Gateway port Envoy binds (10000 serves port 80 on 10080)")
	debug := fs.String("debug-address", defaultDebugAddress, "address of the debug pages (/debug/xds, /debug/routes); empty disables them")
	verbose := fs.Bool("v", false, "debug logging")
	addTranslationFlags(fs, &topts)
	if err := fs.Parse(args); err != nil || *dir == "" || fs.NArg() > 0 {
		if err == nil {
			fmt.Fprintln(stderr, "usage: gatebridge standalone --dir DIR [--xds HOST:PORT] [--debug-address HOST:PORT] [--port-offset N]")
		}
		return errUsage
	}
	log := newLogger(stderr, *verbose)
	off := uint32(*offset)
	opts := bridge.StandaloneOptions{
		Dir:       *dir,
		Translate: topts,
		Envoy:     envoyxds.Options{BindAddress: *bind, ListenPort: func(p uint32) uint32 { return p + off }},
		Log:       log,
	}
	lis, err := net.Listen("tcp", *xds)
	if err != nil {
		return fmt.Errorf("listen for xDS: %w", err)
	}
	if opts.DebugListener, err = listenDebug(log, *debug); err != nil {
		lis.Close()
		return err
	}
	log.Info("serving xDS", "address", lis.Addr().String(), "dir", *dir)
	return bridge.NewStandalone(opts).Run(ctx, lis)
}

// defaultDebugAddress is next to the default xDS address; Envoy's admin interface takes 127.0.0.1:19000
// in the bootstraps `gatebridge bootstrap` prints.
const defaultDebugAddress = "127.0.0.1:18001"

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
