package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gatebridge/gatebridge/bridge"
)

// runController runs gatebridge as a Kubernetes controller: it watches the API server and serves xDS.
func runController(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("gatebridge controller", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file (default: in-cluster configuration, then $KUBECONFIG)")
	f := addServeFlags(fs, ":18000", "0.0.0.0")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	log := newLogger(stderr, f.verbose)
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
	lis, debug, err := f.listen(log)
	if err != nil {
		return err
	}
	opts := bridge.ControllerOptions{Kube: kube, Gateway: gw, Translate: f.translate, Envoy: f.envoyOptions(), Log: log, DebugListener: debug}
	log.Info("serving xDS", "address", lis.Addr().String(), "apiserver", cfg.Host)
	return bridge.NewController(opts).Run(ctx, lis)
}
