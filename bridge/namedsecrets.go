package bridge

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/convert"
)

// namedSecretSyncWait bounds how long a translation waits for the cache of a Secret it has just started
// to watch: long enough to spare a spurious "not found" Event, short enough not to stall the loop.
const namedSecretSyncWait = 5 * time.Second

// namedSecrets caches the Secrets that Ingresses name in an ingress-nginx annotation (auth-secret for
// basic authentication, proxy-ssl-secret for TLS to the backends), each with its own informer scoped to
// its namespace and to its name (field selector metadata.name): the controller never caches every
// Secret, only the TLS ones and those it is asked about, and it sees their updates and deletion. A
// Secret no Ingress names any more is no longer watched.
type namedSecrets struct {
	ctx      context.Context
	kube     kubernetes.Interface
	onChange func()

	mu      sync.Mutex
	watches map[nsName]*secretWatch
}

type nsName struct{ namespace, name string }

type secretWatch struct {
	informer cache.SharedIndexInformer
	stop     context.CancelFunc
}

func newNamedSecrets(ctx context.Context, kube kubernetes.Interface, onChange func()) *namedSecrets {
	return &namedSecrets{ctx: ctx, kube: kube, onChange: onChange, watches: map[nsName]*secretWatch{}}
}

// namedSecretNames are the Secrets named in their own namespace by Ingresses, for basic authentication
// (auth-secret) and for TLS to their backends (proxy-ssl-secret, which only HTTPS and GRPCS backends
// use), and by RoutePolicies for basic authentication. Translation refuses a Secret of another
// namespace, so it is not read.
func namedSecretNames(in *convert.Input) map[nsName]bool {
	out := map[nsName]bool{}
	for _, p := range in.RoutePolicies {
		if ba := p.Spec.BasicAuth; ba != nil && ba.SecretName != "" {
			out[nsName{p.Namespace, ba.SecretName}] = true
		}
	}
	ings := in.Ingresses
	for i := range ings {
		ns := ings[i].Namespace
		settings, _ := annotations.ParseIngress(ings[i].Annotations)
		if ba := settings.Policy.BasicAuth; ba != nil && ba.SecretName != "" && cmp.Or(ba.SecretNamespace, ns) == ns {
			out[nsName{ns, ba.SecretName}] = true
		}
		if b := settings.Routing.Backend; b.TLS() && b.ProxySSL.SecretName != "" && b.ProxySSL.SecretNamespace == ns {
			out[nsName{ns, b.ProxySSL.SecretName}] = true
		}
	}
	return out
}

// follow watches exactly the named Secrets: it starts an informer for each new name (waiting a little
// for its first list) and stops those of names no longer asked for.
func (a *namedSecrets) follow(names map[nsName]bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var started []cache.InformerSynced
	for n := range names {
		if _, ok := a.watches[n]; !ok {
			w := a.watch(n)
			a.watches[n] = w
			started = append(started, w.informer.HasSynced)
		}
	}
	for n, w := range a.watches {
		if !names[n] {
			w.stop()
			delete(a.watches, n)
		}
	}
	if len(started) > 0 {
		ctx, cancel := context.WithTimeout(a.ctx, namedSecretSyncWait)
		defer cancel()
		cache.WaitForCacheSync(ctx.Done(), started...)
	}
}

func (a *namedSecrets) watch(n nsName) *secretWatch {
	ctx, stop := context.WithCancel(a.ctx)
	f := informers.NewSharedInformerFactoryWithOptions(a.kube, 0, informers.WithNamespace(n.namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", n.name).String()
		}))
	inf := f.Core().V1().Secrets().Informer()
	// The handler only asks for a rebuild: a registration error would leave the cache unwatched but
	// still listed, which the next change of any other object catches.
	_, _ = inf.AddEventHandler(changeHandler(a.onChange, false))
	f.Start(ctx.Done())
	return &secretWatch{informer: inf, stop: stop}
}

// secrets lists the watched Secrets, except TLS ones (the TLS cache holds them already), sorted.
func (a *namedSecrets) secrets() []corev1.Secret {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []corev1.Secret
	for n, w := range a.watches {
		for _, obj := range w.informer.GetStore().List() {
			s, ok := obj.(*corev1.Secret)
			if ok && s.Namespace == n.namespace && s.Name == n.name && s.Type != corev1.SecretTypeTLS {
				out = append(out, *s)
			}
		}
	}
	slices.SortFunc(out, func(x, y corev1.Secret) int {
		return cmp.Or(cmp.Compare(x.Namespace, y.Namespace), cmp.Compare(x.Name, y.Name))
	})
	return out
}
