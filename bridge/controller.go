package bridge

import (
	"cmp"
	"context"
	"log/slog"
	"net"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/envoyxds"
)

// ControllerOptions configure the controller.
type ControllerOptions struct {
	Kube      kubernetes.Interface
	Gateway   gwclient.Interface
	Translate convert.Options
	Envoy     envoyxds.Options
	// Debounce is how long the loop waits after the last change before it rebuilds (default 100 ms);
	// MaxDelay caps the wait under a stream of changes (default 1 s).
	Debounce, MaxDelay time.Duration
	// DebugListener, when set, serves the read-only debug pages.
	DebugListener net.Listener
	Log           *slog.Logger
}

// Controller watches the API server and serves what it reads to the Envoy fleets: one debounced,
// level-based loop rebuilds the whole convert.Input from the informer caches after changes.
type Controller struct {
	opts      ControllerOptions
	Server    *envoyxds.Server
	publisher *publisher
	sources   *sources
	status    *statusWriter
	kick      chan struct{}

	mu    sync.Mutex
	last  *convert.Result
	syncs int
}

// NewController prepares a controller; Run starts it.
func NewController(opts ControllerOptions) *Controller {
	opts.Debounce = cmpDuration(opts.Debounce, 100*time.Millisecond)
	opts.MaxDelay = cmpDuration(opts.MaxDelay, time.Second)
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	server, pub := newPublisher(opts.Log, opts.Translate, opts.Envoy)
	return &Controller{
		opts:      opts,
		Server:    server,
		publisher: pub,
		kick:      make(chan struct{}, 1),
		status: &statusWriter{kube: opts.Kube, gw: opts.Gateway,
			controller: gwapiv1.GatewayController(cmp.Or(opts.Translate.GatewayController, convert.DefaultGatewayController))},
	}
}

func cmpDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Run starts the informers, waits for their caches, then serves xDS on lis and follows the API server
// until ctx ends.
func (c *Controller) Run(ctx context.Context, lis net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	src, err := startSources(ctx, c.opts.Kube, c.opts.Gateway, c.trigger)
	if err != nil {
		return err
	}
	c.sources = src
	c.trigger() // the first sync, from the filled caches
	return serveWhile(ctx, c.Server, lis, c.opts.DebugListener, c.loop)
}

// trigger asks the loop for a rebuild; several triggers before it runs make one rebuild.
func (c *Controller) trigger() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// loop rebuilds after changes: Debounce after the last one, at most MaxDelay after the first. It ends
// with ctx, or when a server stops (stopped, with that server's error).
func (c *Controller) loop(ctx context.Context, errc <-chan error) (stopped bool, err error) {
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case err := <-errc:
			return true, err
		case <-c.kick:
		}
		first := time.Now()
		quiet := time.NewTimer(c.opts.Debounce)
	wait:
		for {
			select {
			case <-ctx.Done():
				quiet.Stop()
				return false, nil
			case <-c.kick:
				quiet.Reset(min(c.opts.Debounce, time.Until(first.Add(c.opts.MaxDelay))))
			case <-quiet.C:
				break wait
			}
		}
		c.sync(ctx)
	}
}

// sync rebuilds the Input from the caches and publishes it.
func (c *Controller) sync(ctx context.Context) {
	began := time.Now()
	input, err := c.sources.input()
	if err != nil {
		c.opts.Log.Error("read caches", "error", err)
		return
	}
	res, err := c.publisher.publish(ctx, input)
	if err != nil {
		c.opts.Log.Error("publish", "error", err)
	}
	wrote, err := c.status.write(ctx, &input, &res.Status)
	if err != nil {
		c.opts.Log.Warn("status not written; retried on the next change", "error", err)
	}
	c.mu.Lock()
	c.last = &res
	c.syncs++
	c.mu.Unlock()
	c.opts.Log.Info("synced", "duration", time.Since(began), "fleets", len(c.publisher.fleets), "notes", len(res.Notes), "statusWritten", wrote)
}

// Last returns the result of the latest sync and how many syncs ran (for tests and status writing).
func (c *Controller) Last() (*convert.Result, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last, c.syncs
}
