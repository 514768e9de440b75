package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/envoyxds"
	"github.com/gatebridge/gatebridge/examples"
	"github.com/gatebridge/gatebridge/internal/envoyproc"
)

// The shop of examples/shop: the names the demo relies on.
const (
	// Host is the hostname of the shop (its HTTPRoute and its HTTPS listener).
	Host = "shop.example.com"
	// Fleet is the fleet of the shop's Gateway shop/web.
	Fleet = "gateway-shop-web"
	// secretNamespace and secretName name the Secret of the HTTPS listener, written at each start.
	secretNamespace, secretName = "shop", "shop-tls"
)

// Defaults of Options.
const (
	DefaultDir       = ".run"
	DefaultXDS       = "127.0.0.1:18000"
	DefaultHTTPPort  = 8080
	DefaultHTTPSPort = 8443
	DefaultAdminPort = 19000
)

// otherPortOffset is added to Gateway ports other than 80 and 443 to get the port Envoy binds.
const otherPortOffset = 10000

// Options configure the demo. Zero values take the defaults.
type Options struct {
	// Dir is the working directory: manifests/ (the folder served; edits apply live), ca.pem, and
	// envoy/ (Envoy's bootstrap and log).
	Dir string
	// Example holds the manifests copied into Dir/manifests at each start (default: examples/shop).
	Example fs.FS
	// XDS is the address of the xDS server (port 0 picks a free port).
	XDS string
	// HTTPPort and HTTPSPort are the local ports Envoy serves Gateway ports 80 and 443 on. Other Gateway
	// ports are served on the port plus 10000.
	HTTPPort, HTTPSPort uint32
	// AdminPort is the port of Envoy's admin interface, on 127.0.0.1.
	AdminPort uint32
	// EnvoyBinary is the Envoy executable (default: envoyproc.Binary()).
	EnvoyBinary string
	// ReadyTimeout bounds the wait for Envoy to serve the shop over HTTP and HTTPS (default 60 s).
	ReadyTimeout time.Duration
	// Poll is how often the manifests are checked for edits (default: standalone mode's).
	Poll time.Duration
	Log  *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Dir == "" {
		o.Dir = DefaultDir
	}
	if o.Example == nil {
		o.Example = examples.Shop()
	}
	if o.XDS == "" {
		o.XDS = DefaultXDS
	}
	if o.HTTPPort == 0 {
		o.HTTPPort = DefaultHTTPPort
	}
	if o.HTTPSPort == 0 {
		o.HTTPSPort = DefaultHTTPSPort
	}
	if o.AdminPort == 0 {
		o.AdminPort = DefaultAdminPort
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = time.Minute
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return o
}

// listenPort maps a Gateway port to the local port Envoy binds.
func (o Options) listenPort(p uint32) uint32 {
	switch p {
	case 80:
		return o.HTTPPort
	case 443:
		return o.HTTPSPort
	}
	return p + otherPortOffset
}

// ManifestsDir is the folder the demo serves: a copy of the example and the generated Secret.
func (o Options) ManifestsDir() string { return filepath.Join(o.Dir, "manifests") }

// CAFile is the certificate of the local authority that signed the shop's certificate.
func (o Options) CAFile() string { return filepath.Join(o.Dir, "ca.pem") }

func (o Options) envoyDir() string { return filepath.Join(o.Dir, "envoy") }

// Demo is the running shop: backends, standalone mode and one Envoy of the shop's fleet.
type Demo struct {
	opts     Options
	tls      *tlsFiles
	backends backends
	envoy    *envoyproc.Process

	cancel   context.CancelFunc
	served   chan struct{} // closed when standalone mode returned
	serveErr error
	stopOnce sync.Once
}

// Start prepares the working directory, starts the backends, standalone mode and Envoy, and returns
// once Envoy serves the shop over HTTP and HTTPS. Stop ends it all.
func Start(ctx context.Context, opts Options) (*Demo, error) {
	o := opts.withDefaults()
	if o.EnvoyBinary == "" {
		var err error
		if o.EnvoyBinary, err = envoyproc.Binary(); err != nil {
			return nil, err
		}
	}
	if err := checkPortsFree(o); err != nil {
		return nil, err
	}
	tlsf, err := prepare(o)
	if err != nil {
		return nil, err
	}
	input, loadErr := convert.LoadPaths("default", o.ManifestsDir())
	if loadErr != nil {
		o.Log.Warn("some manifests were skipped", "error", loadErr)
	}
	d := &Demo{opts: o, tls: tlsf}
	specs := localBackends(&input)
	if d.backends, err = startBackends(specs); err != nil {
		return nil, err
	}
	for _, s := range specs {
		o.Log.Info("demo backend", "service", s.Service, "address", s.Addr)
	}
	if err := d.serve(ctx); err != nil {
		d.Stop()
		return nil, err
	}
	o.Log.Info("envoy started", "fleet", Fleet, "pid", d.envoy.Pid(), "log", d.envoy.LogPath)
	if err := d.waitReady(ctx); err != nil {
		d.Stop()
		return nil, err
	}
	return d, nil
}

// serve starts standalone mode on the manifests, then Envoy.
func (d *Demo) serve(ctx context.Context) error {
	o := d.opts
	lis, err := net.Listen("tcp", o.XDS)
	if err != nil {
		return fmt.Errorf("xds server: %w", err)
	}
	sa := bridge.NewStandalone(bridge.StandaloneOptions{
		Dir:   o.ManifestsDir(),
		Envoy: envoyxds.Options{BindAddress: "127.0.0.1", ListenPort: o.listenPort},
		Poll:  o.Poll,
		Log:   o.Log,
	})
	runCtx, cancel := context.WithCancel(ctx)
	d.cancel, d.served = cancel, make(chan struct{})
	go func() {
		defer close(d.served)
		d.serveErr = sa.Run(runCtx, lis)
	}()
	o.Log.Info("serving xDS", "address", lis.Addr().String(), "dir", o.ManifestsDir())
	d.envoy, err = envoyproc.Start(envoyproc.Options{
		Binary:    o.EnvoyBinary,
		Bootstrap: envoyxds.BootstrapOptions{Fleet: Fleet, XDS: lis.Addr().String(), AdminPort: o.AdminPort},
		Dir:       o.envoyDir(),
	})
	if err != nil {
		return fmt.Errorf("envoy: %w", err)
	}
	return nil
}

// Stop stops Envoy, standalone mode and the backends. It can be called more than once.
func (d *Demo) Stop() {
	d.stopOnce.Do(func() {
		if d.envoy != nil {
			d.envoy.Stop()
		}
		if d.cancel != nil {
			d.cancel()
			<-d.served
		}
		if err := d.backends.Close(); err != nil {
			d.opts.Log.Warn("stop demo backends", "error", err)
		}
	})
}

// Run starts the demo, prints the commands to try to out, and serves until ctx ends.
func Run(ctx context.Context, opts Options, out io.Writer) error {
	d, err := Start(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while starting
		}
		return err
	}
	defer d.Stop()
	if err := d.PrintTry(out); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		d.opts.Log.Info("stopping")
		return nil
	case <-d.served:
		return fmt.Errorf("standalone mode stopped: %w", d.serveErr)
	}
}

// checkPortsFree fails early, and clearly, when a port Envoy is to bind is taken, rather than letting
// the readiness wait time out.
func checkPortsFree(o Options) error {
	for _, p := range []struct {
		port uint32
		what string
	}{{o.HTTPPort, "Gateway port 80"}, {o.HTTPSPort, "Gateway port 443"}, {o.AdminPort, "Envoy's admin interface"}} {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", fmt.Sprint(p.port)))
		if err != nil {
			return fmt.Errorf("local port %d for %s: %w", p.port, p.what, err)
		}
		_ = l.Close()
	}
	return nil
}

// prepare writes the working directory: the example's manifests, a fresh Secret for the HTTPS listener
// and the CA that signed it. Other files in the directory are left alone.
func prepare(o Options) (*tlsFiles, error) {
	for _, dir := range []string{o.ManifestsDir(), o.envoyDir()} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create working directory: %w", err)
		}
	}
	n, err := copyFS(o.Example, o.ManifestsDir())
	if err != nil {
		return nil, fmt.Errorf("copy the example: %w", err)
	}
	tlsf, err := newTLSFiles(secretNamespace, secretName, Host)
	if err != nil {
		return nil, fmt.Errorf("make the shop's certificate: %w", err)
	}
	secretPath := filepath.Join(o.ManifestsDir(), secretName+".yaml")
	if err := writeFile(secretPath, tlsf.Secret, 0o600); err != nil {
		return nil, err
	}
	if err := writeFile(o.CAFile(), tlsf.CAPEM, 0o644); err != nil {
		return nil, err
	}
	o.Log.Info("working directory ready", "manifests", o.ManifestsDir(), "files", n+1, "ca", o.CAFile())
	return tlsf, nil
}

// copyFS copies the regular files of fsys into dir, replacing files of the same names, and returns how
// many it copied.
func copyFS(fsys fs.FS, dir string) (int, error) {
	n := 0
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		n++
		return writeFile(dst, b, 0o644)
	})
	return n, err
}

// writeFile writes a file and sets its permissions, also when it existed before.
func writeFile(path string, b []byte, perm os.FileMode) error {
	err := os.WriteFile(path, b, perm)
	if err == nil {
		err = os.Chmod(path, perm)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// errNotReady is what the readiness checks return until Envoy serves the shop as expected.
var errNotReady = errors.New("not ready")
