package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/envoyxds"
)

// serveFlags are the flags of the commands that serve xDS (standalone, controller).
type serveFlags struct {
	xds, bind, debug string
	offset           uint
	verbose          bool
	translate        convert.Options
}

// addServeFlags defines the serving flags on fs, with the xDS and listener bind addresses given.
func addServeFlags(fs *flag.FlagSet, xds, bind string) *serveFlags {
	f := &serveFlags{}
	fs.StringVar(&f.xds, "xds", xds, "address of the xDS (ADS/SDS) server")
	fs.StringVar(&f.bind, "bind-address", bind, "address Envoy listeners bind")
	fs.UintVar(&f.offset, "port-offset", 0, "added to every Gateway port Envoy binds (10000 serves port 80 on 10080)")
	fs.StringVar(&f.debug, "debug-address", defaultDebugAddress, "address of the debug pages (/debug/xds, /debug/routes); empty disables them")
	fs.BoolVar(&f.verbose, "v", false, "debug logging")
	addTranslationFlags(fs, &f.translate)
	return f
}

func (f *serveFlags) envoyOptions() envoyxds.Options {
	off := uint32(f.offset)
	return envoyxds.Options{BindAddress: f.bind, ListenPort: func(p uint32) uint32 { return p + off }}
}

// listen opens the xDS listener and, unless disabled, the debug pages' listener.
func (f *serveFlags) listen(log *slog.Logger) (xds, debug net.Listener, err error) {
	if xds, err = net.Listen("tcp", f.xds); err != nil {
		return nil, nil, fmt.Errorf("listen for xDS: %w", err)
	}
	if f.debug == "" {
		return xds, nil, nil
	}
	if debug, err = net.Listen("tcp", f.debug); err != nil {
		xds.Close()
		return nil, nil, fmt.Errorf("listen for debug pages: %w", err)
	}
	log.Info("serving debug pages", "address", debug.Addr().String(), "url", "http://"+debug.Addr().String()+"/debug/")
	return xds, debug, nil
}

// defaultDebugAddress is next to the default xDS address; Envoy's admin interface takes 127.0.0.1:19000
// in the bootstraps `gatebridge bootstrap` prints.
const defaultDebugAddress = "127.0.0.1:18001"

// newLogger logs text to w, at debug level when verbose.
func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
