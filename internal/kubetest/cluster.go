package kubetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/gatebridge/gatebridge/internal/childproc"
)

// DefaultControllers are the kube-controller-manager controllers a gateway controller's tests need.
// Node lifecycle is left out: it would taint the fake Nodes of a test after a minute without a kubelet.
var DefaultControllers = []string{
	"endpointslice-controller",
	"endpointslice-mirroring-controller",
	"namespace-controller",
	"garbage-collector-controller",
	"serviceaccount-controller",
}

// Options says what to start.
type Options struct {
	// ControllerManager starts kube-controller-manager too, with Controllers.
	ControllerManager bool
	// Controllers overrides DefaultControllers (for example to add deployment-controller).
	Controllers []string
	// APIServerArgs are added to kube-apiserver's flags (a later flag wins).
	APIServerArgs []string
	// StartTimeout bounds the start of the whole control plane; 60 s when zero.
	StartTimeout time.Duration
}

// Cluster is a running control plane. Its clients act as a member of system:masters.
type Cluster struct {
	// Config reaches the API server with the admin token, verifying its certificate.
	Config *rest.Config
	// Client and Dynamic are made from Config.
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
	// Kubeconfig is the path of a kubeconfig file equivalent to Config (it holds the token).
	Kubeconfig string
	// Dir holds the data, credentials and logs; LogDir the logs (<name>.log per process).
	Dir, LogDir string

	mapper *restmapper.DeferredDiscoveryRESTMapper
	// serviceAccounts is set when the service account controller runs.
	serviceAccounts bool

	mu    sync.Mutex
	procs []*childproc.Process // in start order
}

// Start starts a control plane for a test and stops it when the test ends, printing the end of each
// process's log if the test failed. A missing binary fails the test, telling to run `make k8s`.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	bin, err := BinDir()
	if err != nil {
		t.Fatal(err)
	}
	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	// Free ports are found before the processes bind them: another test may take one meanwhile.
	for attempt := 1; ; attempt++ {
		c, err := startWithTimeout(bin, t.TempDir(), opts, timeout)
		if c != nil {
			t.Cleanup(func() {
				c.Stop()
				if t.Failed() {
					t.Log(c.LogTails(16 << 10))
				}
			})
		}
		if c != nil && errors.Is(err, errAddrInUse) && attempt < 3 {
			t.Logf("start kubernetes %s: %v; trying again with other ports", Version, errAddrInUse)
			c.Stop()
			continue
		}
		if err != nil {
			t.Fatalf("start kubernetes %s: %v", Version, err)
		}
		return c
	}
}

func startWithTimeout(bin, dir string, opts Options, timeout time.Duration) (*Cluster, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return StartContext(ctx, bin, dir, opts)
}

// StartContext starts a control plane from the binaries in bin, keeping its files in dir. On error the
// returned Cluster, when not nil, holds what was started: call Stop.
func StartContext(ctx context.Context, bin, dir string, opts Options) (*Cluster, error) {
	c := &Cluster{Dir: dir, LogDir: filepath.Join(dir, "logs")}
	for _, d := range []string{c.LogDir, filepath.Join(dir, "etcd"), filepath.Join(dir, "pki")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("make %s: %w", d, err)
		}
	}
	creds, err := writeCredentials(filepath.Join(dir, "pki"))
	if err != nil {
		return nil, err
	}
	etcdURL, err := c.startEtcd(ctx, bin)
	if err != nil {
		return c, err
	}
	if err := c.startAPIServer(ctx, bin, etcdURL, creds, opts.APIServerArgs); err != nil {
		return c, err
	}
	if opts.ControllerManager {
		controllers := opts.Controllers
		if len(controllers) == 0 {
			controllers = DefaultControllers
		}
		if err := c.startControllerManager(ctx, bin, controllers); err != nil {
			return c, err
		}
	}
	return c, nil
}

// Stop stops every process, the last started first. It is safe to call more than once.
func (c *Cluster) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.procs) - 1; i >= 0; i-- {
		c.procs[i].Stop(stopGrace)
	}
}

// LogTails returns the last max bytes of each process's log, for a failed test.
func (c *Cluster) LogTails(max int64) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, p := range c.procs {
		fmt.Fprintf(&b, "===== %s log (%s) =====\n%s\n", p.Name, p.LogPath, p.LogTail(max))
	}
	return b.String()
}

func (c *Cluster) add(p *childproc.Process) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.procs = append(c.procs, p)
}

// RESTConfig returns a copy of Config, to change (user agent, QPS, impersonation) without affecting
// the Cluster's clients.
func (c *Cluster) RESTConfig() *rest.Config {
	return rest.CopyConfig(c.Config)
}

// NewClient returns a new typed clientset with its own connection settings.
func (c *Cluster) NewClient() (kubernetes.Interface, error) {
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return nil, fmt.Errorf("make clientset: %w", err)
	}
	return cs, nil
}

// initClients makes the clients and the RESTMapper once the API server is known.
func (c *Cluster) initClients(cfg *rest.Config) error {
	c.Config = cfg
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("make clientset: %w", err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("make dynamic client: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("make discovery client: %w", err)
	}
	c.Client, c.Dynamic = cs, dc
	c.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	return nil
}

// poll calls check every interval until it returns true, an error, or ctx ends; each process that has
// exited meanwhile is an error too.
func (c *Cluster) poll(ctx context.Context, what string, check func(context.Context) (bool, error)) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		ok, err := check(ctx)
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		if err := c.exited(); err != nil {
			return fmt.Errorf("wait for %s: %w", what, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", what, errors.Join(ctx.Err(), last))
		case <-tick.C:
		}
	}
}

// exited returns an error for the first process that is no longer running.
func (c *Cluster) exited() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if err := exitErr(p); err != nil {
			return err
		}
	}
	return nil
}
