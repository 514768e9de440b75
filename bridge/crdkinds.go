package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/gatebridge/gatebridge/convert"
)

// DefaultDiscoveryInterval is how often the controller asks the API server which CRD kinds it serves.
const DefaultDiscoveryInterval = 15 * time.Second

// crdSyncTimeout bounds the wait for the cache of a kind found served after startup; a kind whose
// cache does not fill by then is stopped and tried again at the next discovery.
const crdSyncTimeout = time.Minute

// crdKind is a kind a CRD defines (Gateway API kinds, RoutePolicy): it is watched while the API server
// serves it, from whenever it starts serving it until it stops.
type crdKind struct {
	groupVersion, resource string
	// make builds the kind with an informer factory of its own, which can be stopped without the others.
	make func() (kind, informerFactory)
}

// informerFactory is what crdWatcher needs of a kind's own informer factory.
type informerFactory interface{ Start(stopCh <-chan struct{}) }

func (k crdKind) String() string { return k.groupVersion + "/" + k.resource }

// crdWatch is a crdKind being watched.
type crdWatch struct {
	stop   context.CancelFunc
	synced cache.InformerSynced
	list   func(*convert.Input) error
}

// crdWatcher starts and stops the informers of the CRD kinds as discovery finds them served or gone.
type crdWatcher struct {
	kube     kubernetes.Interface
	kinds    []crdKind
	onChange func()
	log      *slog.Logger

	mu     sync.Mutex
	active map[string]*crdWatch // by crdKind.String(), caches synced
}

// lists are the listers of the watched kinds, in the order of kinds.
func (w *crdWatcher) lists() []func(*convert.Input) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []func(*convert.Input) error
	for _, k := range w.kinds {
		if a := w.active[k.String()]; a != nil {
			out = append(out, a.list)
		}
	}
	return out
}

// follow runs discovery every interval until ctx ends. A failed discovery changes nothing and is
// tried again at the next tick.
func (w *crdWatcher) follow(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			sctx, cancel := context.WithTimeout(ctx, crdSyncTimeout)
			if err := w.discover(sctx); err != nil && ctx.Err() == nil {
				w.log.Warn("CRD kinds not rediscovered", "error", err)
			}
			cancel()
		}
	}
}

// discover starts watching the kinds the API server serves and are not watched yet (waiting for their
// caches within ctx), stops watching those it no longer serves, and calls onChange when either
// happened.
func (w *crdWatcher) discover(ctx context.Context) error {
	served, err := w.served(ctx)
	if err != nil {
		return err
	}
	started := map[string]*crdWatch{}
	var stopped []string
	for _, k := range w.kinds {
		key := k.String()
		w.mu.Lock()
		a := w.active[key]
		w.mu.Unlock()
		switch {
		case served[key] && a == nil:
			if started[key], err = w.start(ctx, k); err != nil {
				stopAll(started)
				return err
			}
		case !served[key] && a != nil:
			a.stop()
			w.mu.Lock()
			delete(w.active, key)
			w.mu.Unlock()
			stopped = append(stopped, key)
		}
	}
	if err := w.wait(ctx, started); err != nil {
		stopAll(started)
		return err
	}
	if len(started) > 0 {
		w.log.Info("watching CRD kinds the API server now serves", "kinds", slices.Sorted(maps.Keys(started)))
	}
	if len(stopped) > 0 {
		w.log.Info("no longer watching CRD kinds the API server stopped serving", "kinds", stopped)
	}
	if (len(started) > 0 || len(stopped) > 0) && w.onChange != nil {
		w.onChange()
	}
	return nil
}

// served asks the API server which of the kinds it serves, by crdKind.String().
func (w *crdWatcher) served(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	asked := map[string]bool{}
	for _, k := range w.kinds {
		if asked[k.groupVersion] {
			continue
		}
		asked[k.groupVersion] = true
		res, err := servedResources(ctx, w.kube, k.groupVersion)
		if err != nil {
			return nil, err
		}
		for r := range res {
			out[k.groupVersion+"/"+r] = true
		}
	}
	return out, nil
}

// start starts the informer of a kind, with a factory and a context of its own.
func (w *crdWatcher) start(ctx context.Context, ck crdKind) (*crdWatch, error) {
	k, factory := ck.make()
	inf, list := k.start()
	reg, err := inf.AddEventHandler(changeHandler(w.onChange, k.hasStatus))
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", k.resource, err)
	}
	// The informer outlives ctx, which bounds discovery only.
	kctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	factory.Start(kctx.Done())
	// Synced once the handler has seen the initial objects: their events come before discover returns.
	return &crdWatch{stop: stop, synced: reg.HasSynced, list: list}, nil
}

// wait waits for the caches of the kinds started, then makes them active.
func (w *crdWatcher) wait(ctx context.Context, started map[string]*crdWatch) error {
	var synced []cache.InformerSynced
	for _, a := range started {
		synced = append(synced, a.synced)
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return fmt.Errorf("caches of %v did not sync: %w", slices.Sorted(maps.Keys(started)), ctx.Err())
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for key, a := range started {
		w.active[key] = a
	}
	return nil
}

// missing lists the kinds not watched: the API server does not serve them.
func (w *crdWatcher) missing() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, k := range w.kinds {
		if w.active[k.String()] == nil {
			out = append(out, k.String())
		}
	}
	return out
}

func stopAll(ws map[string]*crdWatch) {
	for _, a := range ws {
		if a != nil {
			a.stop()
		}
	}
}

// servedResources lists the resources (plural names) the API server serves in a group version (none
// when it serves none of the group's CRDs): a cluster without some CRD (TLSRoute, say) must not leave
// the controller waiting for a cache that never syncs.
func servedResources(ctx context.Context, kube kubernetes.Interface, groupVersion string) (map[string]bool, error) {
	served := map[string]bool{}
	list, err := kube.Discovery().ServerResourcesForGroupVersionWithContext(ctx, groupVersion)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return served, nil // none of the group's CRDs (no Gateway API: Ingress only)
		}
		return nil, fmt.Errorf("discover %s: %w", groupVersion, err)
	}
	for _, r := range list.APIResources {
		served[r.Name] = true
	}
	return served, nil
}
