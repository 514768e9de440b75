package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/envoyxds"
	"github.com/gatebridge/gatebridge/internal/benchgen"
	"github.com/gatebridge/gatebridge/internal/childproc"
	"github.com/gatebridge/gatebridge/internal/envoyproc"
)

// EditOptions configure MeasureEdits.
type EditOptions struct {
	// Edits is how many routes are added, one new file each, after a first one that is not counted.
	Edits int
	// Background is how many generated HTTPRoutes (with their Services) the folder holds from the start.
	Background int
	// Poll is how often standalone mode looks at the folder (default 300 ms, as standalone mode's).
	Poll time.Duration
	// Timeout bounds the wait for one edit to answer (default one minute; the first edit gets twice as
	// long, since Envoy starts meanwhile).
	Timeout time.Duration
	// Log receives the logs of standalone mode (default: discarded).
	Log *slog.Logger
}

// EditResult holds one duration per counted edit, in the order of the edits.
type EditResult struct {
	Background int
	// Pushed is the time from writing a file to its configuration being handed to the xDS server.
	Pushed []time.Duration
	// Answered is the time from writing a file to the first HTTP 200 through Envoy for its hostname.
	Answered []time.Duration
}

// editFleet is the fleet of the Gateway the generated HTTPRoutes attach to.
const editFleet = benchgen.GatewayFleet

// MeasureEdits serves a folder in standalone mode to a real Envoy, then adds HTTPRoutes to the folder
// one file at a time, each for a new hostname, and times how long each takes to answer through Envoy.
func MeasureEdits(ctx context.Context, opts EditOptions) (EditResult, error) {
	opts.Timeout = cmp.Or(opts.Timeout, time.Minute)
	opts.Poll = cmp.Or(opts.Poll, 300*time.Millisecond)
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	r, err := startRig(ctx, opts)
	if err != nil {
		return EditResult{}, err
	}
	defer r.close()
	if _, _, err := r.edit(ctx, 0, 2*opts.Timeout); err != nil {
		return EditResult{}, fmt.Errorf("first route: %w\nenvoy log:\n%s", err, r.envoy.Log())
	}
	res := EditResult{Background: opts.Background}
	for k := 1; k <= opts.Edits; k++ {
		// An edit made right after the previous one answered would land just after a look at the
		// folder, and always wait a whole poll interval: start each edit at a random point of it.
		if err := sleep(ctx, rand.N(opts.Poll)); err != nil {
			return res, err
		}
		pushed, answered, err := r.edit(ctx, k, opts.Timeout)
		if err != nil {
			return res, fmt.Errorf("edit %d: %w", k, err)
		}
		res.Pushed = append(res.Pushed, pushed)
		res.Answered = append(res.Answered, answered)
	}
	return res, nil
}

// rig is a backend, standalone mode on a folder and one Envoy of the fleet.
type rig struct {
	root, dir string
	httpPort  uint32
	server    *envoyxds.Server
	envoy     *envoyproc.Process
	client    *http.Client
	closers   []func()
}

func (r *rig) close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
}

func startRig(ctx context.Context, opts EditOptions) (r *rig, err error) {
	r = &rig{client: &http.Client{Timeout: 5 * time.Second}}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	if r.root, err = os.MkdirTemp("", "gatebridge-bench-"); err != nil {
		return nil, fmt.Errorf("create work folder: %w", err)
	}
	r.closers = append(r.closers, func() { _ = os.RemoveAll(r.root) })
	r.dir = filepath.Join(r.root, "manifests")
	if err := os.Mkdir(r.dir, 0o755); err != nil {
		return nil, fmt.Errorf("create manifest folder: %w", err)
	}
	backend, err := startBackend()
	if err != nil {
		return nil, err
	}
	r.closers = append(r.closers, func() { _ = backend.Close() })
	if err := r.writeBase(opts.Background, backend.addr); err != nil {
		return nil, err
	}
	// Envoy's port for Gateway port 80 and its admin port.
	ports, err := childproc.FreePorts(2)
	if err != nil {
		return nil, err
	}
	r.httpPort = uint32(ports[0])
	xdsAddr, err := r.startStandalone(ctx, opts)
	if err != nil {
		return nil, err
	}
	envoyDir := filepath.Join(r.root, "envoy")
	if err := os.Mkdir(envoyDir, 0o755); err != nil {
		return nil, fmt.Errorf("create envoy folder: %w", err)
	}
	r.envoy, err = envoyproc.Start(envoyproc.Options{
		Bootstrap: envoyxds.BootstrapOptions{Fleet: editFleet, XDS: xdsAddr, AdminPort: uint32(ports[1])},
		Dir:       envoyDir,
	})
	if err != nil {
		return nil, fmt.Errorf("start envoy: %w", err)
	}
	r.closers = append(r.closers, r.envoy.Stop)
	return r, nil
}

// writeBase writes the Gateway, the background routes and the Service the edited routes send to.
func (r *rig) writeBase(background int, backendAddr string) error {
	b, err := benchgen.Manifests(benchgen.HTTPRoutes(background))
	if err != nil {
		return fmt.Errorf("generate background routes: %w", err)
	}
	if err := r.write("background.yaml", b); err != nil {
		return err
	}
	echo := fmt.Sprintf(`apiVersion: v1
kind: Service
metadata:
  name: echo
  namespace: %s
  annotations: {gatebridge.dev/endpoints: "%s"}
spec: {ports: [{name: http, port: 80}]}
`, benchgen.GatewayNamespace, backendAddr)
	return r.write("echo.yaml", []byte(echo))
}

// startStandalone serves the folder over xDS on a free local port and maps Gateway port 80 to r.httpPort.
func (r *rig) startStandalone(ctx context.Context, opts EditOptions) (string, error) {
	sa := bridge.NewStandalone(bridge.StandaloneOptions{
		Dir: r.dir, Poll: opts.Poll, Log: opts.Log,
		Envoy: envoyxds.Options{BindAddress: "127.0.0.1", ListenPort: func(p uint32) uint32 {
			if p == 80 {
				return r.httpPort
			}
			return p + 20000
		}},
	})
	r.server = sa.Server
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen for xds: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := sa.Run(ctx, lis); err != nil && !errors.Is(err, context.Canceled) {
			opts.Log.Error("standalone mode stopped", "error", err)
		}
	}()
	r.closers = append(r.closers, func() { cancel(); <-done })
	return lis.Addr().String(), nil
}

// write creates a file of the folder atomically, as an editor saving it would: standalone mode never
// reads half of it.
func (r *rig) write(name string, content []byte) error {
	tmp := filepath.Join(r.dir, name+".tmp")
	if err := os.WriteFile(tmp, content, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp, filepath.Join(r.dir, name)); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// editRoute is the HTTPRoute of the k-th edit.
func editRoute(k int) (name, host string, manifest []byte) {
	name, host = fmt.Sprintf("edit-%03d", k), fmt.Sprintf("edit-%03d.bench.example.com", k)
	manifest = fmt.Appendf(nil, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: %s, namespace: %s}
spec:
  parentRefs: [{name: %s}]
  hostnames: [%s]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs: [{name: echo, port: 80}]
`, name, benchgen.GatewayNamespace, benchgen.GatewayName, host)
	return name, host, manifest
}

// edit adds the k-th route and waits until its hostname answers 200 through Envoy.
func (r *rig) edit(ctx context.Context, k int, timeout time.Duration) (pushed, answered time.Duration, err error) {
	name, host, manifest := editRoute(k)
	if k > 0 {
		// Envoy serves the folder by now: an unknown hostname must get its 404.
		if code, err := r.get(ctx, host); err != nil || code != http.StatusNotFound {
			return 0, 0, fmt.Errorf("%s before the edit: status %d, error %v; want 404", host, code, err)
		}
	}
	version := r.server.Version(editFleet)
	start := time.Now()
	if err := r.write(name+".yaml", manifest); err != nil {
		return 0, 0, err
	}
	for {
		if pushed == 0 && r.server.Version(editFleet) != version {
			pushed = time.Since(start)
		}
		code, _ := r.get(ctx, host)
		if code == http.StatusOK {
			return cmp.Or(pushed, time.Since(start)), time.Since(start), nil
		}
		if time.Since(start) > timeout {
			return 0, 0, fmt.Errorf("%s did not answer 200 within %s (last status %d)", host, timeout, code)
		}
		if err := sleep(ctx, time.Millisecond); err != nil {
			return 0, 0, err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// get sends one request for host through Envoy and returns the status code.
func (r *rig) get(ctx context.Context, host string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/", r.httpPort), nil)
	if err != nil {
		return 0, err
	}
	req.Host = host
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// backend is an HTTP server on 127.0.0.1 that answers 200 to everything.
type backend struct {
	addr string
	srv  *http.Server
}

func startBackend() (*backend, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the backend: %w", err)
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") }),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(l) }()
	return &backend{addr: l.Addr().String(), srv: srv}, nil
}

func (b *backend) Close() error { return b.srv.Close() }
