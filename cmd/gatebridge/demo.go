package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/gatebridge/gatebridge/demo"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gatebridge demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o demo.Options
	fs.StringVar(&o.Dir, "dir", demo.DefaultDir, "working directory: manifests/ (served, edits apply live), ca.pem, envoy/")
	fs.StringVar(&o.XDS, "xds", demo.DefaultXDS, "address of the xDS (ADS/SDS) server")
	httpPort := fs.Uint("http-port", demo.DefaultHTTPPort, "local port Envoy serves Gateway port 80 on")
	httpsPort := fs.Uint("https-port", demo.DefaultHTTPSPort, "local port Envoy serves Gateway port 443 on")
	adminPort := fs.Uint("admin-port", demo.DefaultAdminPort, "port of Envoy's admin interface (on 127.0.0.1)")
	fs.StringVar(&o.EnvoyBinary, "envoy", "", "Envoy binary (default: $ENVOY_BIN, then .venv/bin/envoy of this module, then PATH)")
	verbose := fs.Bool("v", false, "debug logging")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gatebridge demo [--dir DIR] [--http-port N] [--https-port N] [--admin-port N] [--xds HOST:PORT] [--envoy PATH]\n\nServes the bundled shop (examples/shop) through a real Envoy with demo backends on 127.0.0.1\nand a local certificate, prints the commands to try, and runs until interrupted.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		if err == nil {
			fs.Usage()
		}
		return errUsage
	}
	for name, p := range map[string]uint{"http-port": *httpPort, "https-port": *httpsPort, "admin-port": *adminPort} {
		if p == 0 || p > 65535 {
			return fmt.Errorf("--%s %d: want a port from 1 to 65535", name, p)
		}
	}
	o.HTTPPort, o.HTTPSPort, o.AdminPort = uint32(*httpPort), uint32(*httpsPort), uint32(*adminPort)
	o.Log = newLogger(stderr, *verbose)
	return demo.Run(ctx, o, stdout)
}
