package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/envoyxds"
)

// runController runs gatebridge as a Kubernetes controller: it watches the API server and serves xDS.
func runController(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("gatebridge controller", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var topts convert.Options
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file (default: in-cluster configuration, then $KUBECONFIG)")
	xds := fs.String("xds", ":18000", "address of the xDS (ADS/SDS) server")
	bind := fs.String("bind-address", "0.0.0.0", "address Envoy listeners bind")
	offset := fs.Uint("port-offset", 0, "added to every Gateway port Envoy binds")
	debug := fs.String("debug-address", defaultDebugAddress, "address of the debug pages; empty disables them")
	verbose := fs.Bool("v", false, "debug logging")
	addTranslationFlags(fs, &topts)
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	log := newLogger(stderr, *verbose)
	loading := clientcmd.NewDefaultClientConfigLoadingRules()
	loading.ExplicitPath = *kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(loading, nil).ClientConfig()
	if err != nil {
		return fmt.Errorf("kubernetes configuration: %w", err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	gw, err := gwclient.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("gateway api client: %w", err)
	}
	off := uint32(*offset)
	opts := bridge.ControllerOptions{
		Kube: kube, Gateway: gw, Translate: topts, Log: log,
		Envoy: envoyxds.Options{BindAddress: *bind, ListenPort: func(p uint32) uint32 { return p + off }},
	}
	lis, err := net.Listen("tcp", *xds)
	if err != nil {
		return fmt.Errorf("listen for xDS: %w", err)
	}
	if opts.DebugListener, err = listenDebug(log, *debug); err != nil {
		lis.Close()
		return err
	}
	log.Info("serving xDS", "address", lis.Addr().String(), "apiserver", cfg.Host)
	return bridge.NewController(opts).Run(ctx, lis)
}

func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// listenDebug listens for the debug pages at addr; an empty addr disables them.
func listenDebug(log *slog.Logger, addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for debug pages: %w", err)
	}
	log.Info("serving debug pages", "address", l.Addr().String(), "url", "http://"+l.Addr().String()+"/debug/")
	return l, nil
}
