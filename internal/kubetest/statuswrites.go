package kubetest

import (
	"net/http"
	"slices"
	"strings"
	"sync"

	"k8s.io/client-go/rest"
)

// StatusWrites records the status writes (any request but GET to a /status subresource) sent through
// the configs it wraps. A test reads them to check that a controller writes only what changed: the API
// server keeps the resourceVersion of an update that changes nothing, so the objects cannot tell.
type StatusWrites struct {
	mu    sync.Mutex
	paths []string
}

// Wrap returns a copy of cfg whose requests are recorded.
func (w *StatusWrites) Wrap(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if req.Method != http.MethodGet && strings.HasSuffix(req.URL.Path, "/status") {
				w.mu.Lock()
				w.paths = append(w.paths, req.URL.Path)
				w.mu.Unlock()
			}
			return next.RoundTrip(req)
		})
	})
	return cfg
}

// Since returns the URL paths of the writes after the first n, in the order they were sent (a write
// is recorded even when the API server refuses it).
func (w *StatusWrites) Since(n int) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.paths[min(n, len(w.paths)):])
}

// Len returns how many writes were sent so far.
func (w *StatusWrites) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.paths)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
