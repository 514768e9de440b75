package bridge

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
)

// CachedSecrets returns what the Secret informers of a running controller hold ("namespace/name",
// sorted, TLS cache and named watches alike) and the informers of the named Secrets by
// "namespace/name". Call it after a sync completed (Last): the sources exist from then on.
func CachedSecrets(c *Controller) (cached []string, watches map[string]cache.SharedIndexInformer) {
	s := c.sources
	stores := []cache.Store{s.tlsCache}
	watches = map[string]cache.SharedIndexInformer{}
	s.named.mu.Lock()
	for n, w := range s.named.watches {
		watches[n.namespace+"/"+n.name] = w.informer
		stores = append(stores, w.informer.GetStore())
	}
	s.named.mu.Unlock()
	for _, st := range stores {
		for _, obj := range st.List() {
			if sec, ok := obj.(*corev1.Secret); ok {
				cached = append(cached, sec.Namespace+"/"+sec.Name)
			}
		}
	}
	slices.Sort(cached)
	return cached, watches
}
