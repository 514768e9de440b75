package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gatebridge/gatebridge/bridge"
)

// controllerFlags are the flags of `gatebridge controller` beyond the serving ones.
type controllerFlags struct {
	kubeconfig, metrics, pool, fleetServices string
	leaderElect                              bool
	election                                 bridge.LeaderElection
	localEnvoys                              bool
	envoy                                    bridge.LocalEnvoys
	peerService, podIP                       string
}

// runController runs gatebridge as a Kubernetes controller: it watches the API server and serves xDS.
func runController(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("gatebridge controller", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c controllerFlags
	fs.StringVar(&c.kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster configuration, then $KUBECONFIG)")
	fs.StringVar(&c.metrics, "metrics-address", ":18002", "address of /metrics, /healthz and /readyz; empty disables them")
	fs.StringVar(&c.pool, "address-pool", "", "prefix (10.250.0.0/16) from which every Gateway and Ingress class gets an address its Envoys bind (local mode)")
	fs.StringVar(&c.fleetServices, "fleet-service-namespace", "", "namespace of the LoadBalancer Services labelled "+bridge.FleetLabel+"=<fleet> whose addresses fleets report")
	fs.BoolVar(&c.leaderElect, "leader-elect", false, "elect one replica (through a Lease) to write status and Events; every replica serves xDS")
	fs.StringVar(&c.election.Namespace, "leader-election-namespace", "", "namespace of the Lease (default $POD_NAMESPACE)")
	fs.StringVar(&c.election.Name, "leader-election-id", "gatebridge", "name of the Lease")
	fs.StringVar(&c.election.Identity, "leader-election-identity", "", "identity of this replica (default $POD_NAME, then the host name)")
	fs.DurationVar(&c.election.LeaseDuration, "leader-election-lease-duration", 15*time.Second, "how long a Lease lasts without renewal")
	fs.DurationVar(&c.election.RenewDeadline, "leader-election-renew-deadline", 10*time.Second, "how long the leader tries to renew before it steps down")
	fs.DurationVar(&c.election.RetryPeriod, "leader-election-retry-period", 2*time.Second, "how often replicas try the Lease")
	fs.StringVar(&c.peerService, "peer-service", "", "namespace/name of the Service in front of the replicas: the leader reads the acks of Envoys connected to the others (on their --metrics-address port)")
	fs.StringVar(&c.podIP, "pod-ip", "", "this replica's address, left out of the peers (default $POD_IP)")
	fs.BoolVar(&c.localEnvoys, "local-envoys", false, "run and supervise an Envoy per fleet on this machine (local mode; pair with --address-pool)")
	fs.StringVar(&c.envoy.Binary, "envoy", "", "Envoy binary of --local-envoys (default: $ENVOY_BIN, then PATH)")
	fs.BoolVar(&c.envoy.Delta, "envoy-delta", false, "the local Envoys use incremental (delta) ADS")
	fs.StringVar(&c.envoy.Dir, "envoy-dir", "", "folder of the local Envoys' bootstraps and logs (default: gatebridge-envoys in the temporary folder)")
	f := addServeFlags(fs, ":18000", "0.0.0.0")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	log := newLogger(stderr, f.verbose)
	opts, err := c.options(f)
	if err != nil {
		return err
	}
	lis, debug, err := f.listen(log)
	if err != nil {
		return err
	}
	if opts.HealthListener, err = listenOptional(c.metrics, "metrics and health", log); err != nil {
		lis.Close()
		if debug != nil {
			debug.Close()
		}
		return err
	}
	opts.Log, opts.DebugListener = log, debug
	log.Info("serving xDS", "address", lis.Addr().String(), "leaderElection", c.leaderElect)
	return bridge.NewController(opts).Run(ctx, lis)
}

// options turns the flags into controller options with clients of the configured cluster.
func (c *controllerFlags) options(f *serveFlags) (bridge.ControllerOptions, error) {
	loading := clientcmd.NewDefaultClientConfigLoadingRules()
	loading.ExplicitPath = c.kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(loading, nil).ClientConfig()
	if err != nil {
		return bridge.ControllerOptions{}, fmt.Errorf("kubernetes configuration: %w", err)
	}
	opts := bridge.ControllerOptions{Translate: f.translate, Envoy: f.envoyOptions()}
	if opts.Kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return opts, fmt.Errorf("kubernetes client: %w", err)
	}
	if opts.Gateway, err = gwclient.NewForConfig(cfg); err != nil {
		return opts, fmt.Errorf("gateway api client: %w", err)
	}
	if opts.Dynamic, err = dynamic.NewForConfig(cfg); err != nil {
		return opts, fmt.Errorf("dynamic client: %w", err)
	}
	opts.Addressing.FleetServiceNamespace = c.fleetServices
	if c.pool != "" {
		if opts.Addressing.Pool, err = netip.ParsePrefix(c.pool); err != nil {
			return opts, fmt.Errorf("--address-pool: %w", err)
		}
	}
	if c.localEnvoys {
		envoys := c.envoy
		envoys.Dir = cmp.Or(envoys.Dir, filepath.Join(os.TempDir(), "gatebridge-envoys"))
		opts.LocalEnvoys = &envoys
	}
	if c.peerService != "" {
		_, port, err := net.SplitHostPort(c.metrics)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil || n == 0 || !strings.Contains(c.peerService, "/") {
			return opts, fmt.Errorf("--peer-service needs namespace/name and a --metrics-address with a fixed port")
		}
		opts.Peers = &bridge.Peers{Service: c.peerService, Port: n, Self: cmp.Or(c.podIP, os.Getenv("POD_IP"))}
	}
	if c.leaderElect {
		le := c.election
		le.Namespace = cmp.Or(le.Namespace, os.Getenv("POD_NAMESPACE"))
		le.Identity = cmp.Or(le.Identity, os.Getenv("POD_NAME"), hostname())
		opts.LeaderElection = &le
	}
	return opts, nil
}

// listenOptional listens on addr unless it is empty.
func listenOptional(addr, what string, log *slog.Logger) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for %s: %w", what, err)
	}
	log.Info("serving "+what, "address", lis.Addr().String())
	return lis, nil
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
