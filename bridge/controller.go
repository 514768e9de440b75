package bridge

import (
	"cmp"
	"context"
	"log/slog"
	"maps"
	"net"
	"sync"
	"sync/atomic"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/envoyxds"
)

// ControllerOptions configure the controller.
type ControllerOptions struct {
	Kube    kubernetes.Interface
	Gateway gwclient.Interface
	// Dynamic, when set, watches gatebridge's RoutePolicies (when the API server serves their CRD).
	Dynamic   dynamic.Interface
	Translate convert.Options
	Envoy     envoyxds.Options
	// DiscoveryInterval is how often the controller asks the API server which CRD kinds (Gateway API,
	// RoutePolicy) it serves, to watch the kinds of CRDs installed later and drop those of CRDs removed
	// (default DefaultDiscoveryInterval).
	DiscoveryInterval time.Duration
	// Debounce is how long the loop waits after the last change before it rebuilds (default 100 ms);
	// MaxDelay caps the wait under a stream of changes (default 1 s).
	Debounce, MaxDelay time.Duration
	// DebugListener, when set, serves the read-only debug pages.
	DebugListener net.Listener
	// HealthListener, when set, serves /metrics (Prometheus), /healthz and /readyz.
	HealthListener net.Listener
	// LeaderElection, when set, makes only the replica holding the Lease write status and Events;
	// without it this controller writes them.
	LeaderElection *LeaderElection
	// Addressing gives Gateways and Ingress classes their addresses (from fleet Services or a pool);
	// when it is empty, Translate.GatewayAddresses and IngressAddresses are used as given.
	Addressing Addressing
	// Peers, when set, let the leader count acks of Envoys connected to other replicas.
	Peers *Peers
	// LocalEnvoys, when set, make the controller run an Envoy per fleet on this machine.
	LocalEnvoys *LocalEnvoys
	Log         *slog.Logger
}

// Controller watches the API server and serves what it reads to the Envoy fleets: one debounced,
// level-based loop rebuilds the whole convert.Input from the informer caches after changes.
type Controller struct {
	opts      ControllerOptions
	Server    *envoyxds.Server
	publisher *publisher
	sources   *sources
	status    *statusWriter
	events    *noteEvents
	envoys    *supervisor // nil unless LocalEnvoys
	peers     *peerPoller // nil unless Peers
	acks      *ackTracker
	metrics   *metrics
	kick      chan struct{}
	wake      *time.Timer // a rebuild when a certificate's validity changes; used by the loop only
	leading   atomic.Bool // writes status and Events
	ready     atomic.Bool // caches synced and a first configuration pushed

	mu    sync.Mutex
	last  *convert.Result
	syncs int
	dirty time.Time // first API change not yet in a sync
}

// NewController prepares a controller; Run starts it.
func NewController(opts ControllerOptions) *Controller {
	opts.Debounce = cmpDuration(opts.Debounce, 100*time.Millisecond)
	opts.MaxDelay = cmpDuration(opts.MaxDelay, time.Second)
	opts.DiscoveryInterval = cmpDuration(opts.DiscoveryInterval, DefaultDiscoveryInterval)
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	server, pub := newPublisher(opts.Log, opts.Translate, opts.Envoy)
	c := &Controller{
		opts:      opts,
		Server:    server,
		publisher: pub,
		kick:      make(chan struct{}, 1),
		metrics:   newMetrics(server),
		status: &statusWriter{kube: opts.Kube, gw: opts.Gateway,
			controller: gwapiv1.GatewayController(cmp.Or(opts.Translate.GatewayController, convert.DefaultGatewayController))},
	}
	if opts.LocalEnvoys != nil {
		c.envoys = newSupervisor(*opts.LocalEnvoys, opts.Log)
	}
	if opts.Peers != nil {
		c.peers = newPeerPoller(*opts.Peers)
	}
	c.acks = newAckTracker(c.trigger, func(d time.Duration) { c.metrics.changeToAck.Observe(d.Seconds()) })
	server.Observe(envoyxds.Observer{
		Pushed: func(fleet, _ string) { c.metrics.pushes.WithLabelValues(fleet).Inc() },
		Acked: func(fleet, node, version string) {
			c.metrics.acks.WithLabelValues(fleet).Inc()
			c.acks.onAck(fleet, node, version)
		},
		Nacked: func(fleet, _, _ string) { c.metrics.nacks.WithLabelValues(fleet).Inc() },
	})
	return c
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
	c.events = newNoteEvents(ctx, c.opts.Kube)
	if le := c.opts.LeaderElection; le != nil {
		if err := lead(ctx, c.opts.Kube, *le, c.setLeading); err != nil {
			return err
		}
	} else {
		c.setLeading(true)
	}
	src, err := startSources(ctx, clients{c.opts.Kube, c.opts.Gateway, c.opts.Dynamic}, c.opts.DiscoveryInterval, c.opts.Log, c.changed)
	if err != nil {
		return err
	}
	c.sources = src
	c.trigger() // the first sync, from the filled caches
	if c.envoys != nil {
		c.envoys.xds = dialable(lis.Addr())
		defer c.envoys.wait()
	}
	if c.peers != nil {
		go c.peers.run(ctx, func() bool { return c.leading.Load() && c.acks.awaiting() },
			func(fleet, version string) { c.acks.onAck(fleet, "peer", version) })
	}
	pages := []page{{c.opts.DebugListener, c.Server.DebugHandler()}, {c.opts.HealthListener, c.healthHandler()}}
	return serveWhile(ctx, c.Server, lis, pages, c.loop)
}

// setLeading records a change of leadership; a new leader rebuilds at once to write status.
func (c *Controller) setLeading(leading bool) {
	c.leading.Store(leading)
	c.metrics.leader.Set(map[bool]float64{true: 1}[leading])
	c.opts.Log.Info("leadership", "leading", leading)
	if leading {
		c.trigger()
	}
}

// Leading reports whether this controller writes status and Events.
func (c *Controller) Leading() bool { return c.leading.Load() }

// changed is called by the informers: it remembers when the first unsynced change came (for the
// change-to-ack time) and asks for a rebuild.
func (c *Controller) changed() {
	c.mu.Lock()
	if c.dirty.IsZero() {
		c.dirty = time.Now()
	}
	c.mu.Unlock()
	c.trigger()
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

// sync rebuilds the Input from the caches, publishes it and, when leading, writes status and Events.
func (c *Controller) sync(ctx context.Context) {
	began := time.Now()
	c.mu.Lock()
	since := c.dirty
	c.dirty = time.Time{}
	c.mu.Unlock()
	input, err := c.sources.input()
	if err != nil {
		c.metrics.reconciles.WithLabelValues("error").Inc()
		c.opts.Log.Error("read caches", "error", err)
		return
	}
	c.publisher.translate, c.publisher.bind = c.translateOptions(&input)
	if c.peers != nil {
		c.peers.update(input.EndpointSlices)
	}
	res, err := c.publisher.publish(ctx, input)
	if err != nil {
		c.opts.Log.Error("publish", "error", err)
	}
	c.acks.published(c.publisher.versions, gatewaysByFleet(&input, &res.Status), since, c.Server.Status())
	c.acks.forget(c.publisher.versions)
	c.acks.holdUnacked(&input, &res.Status, metav1.Now())
	if c.envoys != nil {
		c.envoys.ensure(ctx, c.publisher.fleets)
	}
	wrote, events := 0, 0
	if c.leading.Load() {
		var werr error
		if wrote, werr = c.status.write(ctx, &input, &res.Status); werr != nil {
			c.opts.Log.Warn("status not written; retried on the next change", "error", werr)
			err = cmp.Or(err, werr)
		}
		events = c.events.record(&input, res.Notes)
	}
	c.observe(&input, &res, err, time.Since(began), wrote, events)
	c.mu.Lock()
	c.last = &res
	c.syncs++
	c.mu.Unlock()
	c.ready.Store(true)
	c.wakeAt(ctx, res.SecretsChange)
	c.opts.Log.Info("synced", "duration", time.Since(began), "fleets", len(c.publisher.fleets), "notes", len(res.Notes), "statusWritten", wrote, "events", events)
}

// wakeAt asks for a rebuild at t (when a certificate expires or becomes valid: no API event says so).
// Each sync replaces the previous wake-up.
func (c *Controller) wakeAt(ctx context.Context, t time.Time) {
	if c.wake != nil {
		c.wake.Stop()
		c.wake = nil
	}
	if t.IsZero() {
		return
	}
	c.wake = time.AfterFunc(time.Until(t), func() {
		if ctx.Err() == nil {
			c.trigger()
		}
	})
}

// translateOptions are the translation options of one rebuild (addresses come from the caches) and
// the addresses each fleet's listeners bind.
func (c *Controller) translateOptions(in *convert.Input) (convert.Options, map[string]string) {
	opts := c.opts.Translate
	a := c.opts.Addressing
	if a.FleetServiceNamespace == "" && !a.Pool.IsValid() {
		return opts, nil
	}
	got := a.assign(in, opts)
	opts.GatewayAddresses = maps.Clone(opts.GatewayAddresses)
	if opts.GatewayAddresses == nil {
		opts.GatewayAddresses = map[string][]string{}
	}
	maps.Copy(opts.GatewayAddresses, got.gateways)
	opts.GatewayAddressErrors = got.errors
	opts.IngressClassAddresses = got.classes
	c.metrics.unaddressed.Set(float64(len(got.errors)))
	return opts, got.bind
}

// gatewaysByFleet lists, by fleet, the Gateways translation made Programmed, with their generation.
func gatewaysByFleet(in *convert.Input, st *convert.Status) map[string]map[convert.ObjectRef]int64 {
	out := map[string]map[convert.ObjectRef]int64{}
	for i := range in.Gateways {
		g := &in.Gateways[i]
		ref := convert.ObjectRef{Kind: "Gateway", Namespace: g.Namespace, Name: g.Name}
		if gs, ok := st.Gateways[ref]; ok && apimeta.IsStatusConditionTrue(gs.Conditions, string(gwapiv1.GatewayConditionProgrammed)) {
			fleet := convert.GatewayFleet(g.Namespace, g.Name)
			if out[fleet] == nil {
				out[fleet] = map[convert.ObjectRef]int64{}
			}
			out[fleet][ref] = g.Generation
		}
	}
	return out
}

// LocalEnvoys returns, by fleet, the process id of each Envoy this controller runs (LocalEnvoys).
func (c *Controller) LocalEnvoys() map[string]int {
	if c.envoys == nil {
		return nil
	}
	return c.envoys.running()
}

// ChangeToAck returns, by fleet, how long the latest change took from the API server to the first
// Envoy of the fleet that accepted it (also exported as gatebridge_change_to_ack_seconds).
func (c *Controller) ChangeToAck() map[string]time.Duration { return c.acks.changeToAck() }

// Last returns the result of the latest sync and how many syncs ran (for tests and status writing).
func (c *Controller) Last() (*convert.Result, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last, c.syncs
}
