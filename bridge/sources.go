package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"maps"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	corev1informers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
	gwinformers "sigs.k8s.io/gateway-api/pkg/client/informers/externalversions"

	"github.com/gatebridge/gatebridge/certs"
	"github.com/gatebridge/gatebridge/convert"
)

// sources are the informers whose caches make the Input.
type sources struct {
	listers []func(in *convert.Input) error
	// named caches the Secrets Ingresses name in annotations (namedsecrets.go).
	named *namedSecrets
	// tlsCache is the store of the TLS Secrets informer: with named, every Secret the controller holds.
	tlsCache cache.Store
}

// tlsSecrets selects the Secrets the controller caches for TLS: TLS Secrets only, never every Secret.
// The Secrets an Ingress names in an annotation are watched one by one (namedsecrets.go).
const tlsSecrets = "type=kubernetes.io/tls"

// startSources starts an informer per kind translation reads (Gateway API kinds and RoutePolicies only
// when the API server serves them) and waits for their caches; onChange runs on every event that can
// change the translation.
func startSources(ctx context.Context, c clients, log *slog.Logger, onChange func()) (*sources, error) {
	kube, gw := c.kube, c.gw
	served, err := servedResources(kube, gwapiv1.GroupVersion.String())
	if err != nil {
		return nil, err
	}
	policies, err := routePolicyKind(kube, c.dynamic, log)
	if err != nil {
		return nil, err
	}
	kf := informers.NewSharedInformerFactory(kube, 0)
	sf := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = tlsSecrets
	}))
	gf := gwinformers.NewSharedInformerFactory(gw, 0)
	s := &sources{named: newNamedSecrets(ctx, kube, onChange)}
	var synced []cache.InformerSynced
	all := kinds(kf, sf, gf)
	if policies != nil {
		all = append(all, *policies)
		served[policies.resource] = true // routePolicyKind looked
	}
	for _, k := range all {
		if k.resource != "" && !served[k.resource] {
			continue // never asking for its informer keeps the factory from starting it
		}
		inf, list := k.start()
		if _, err := inf.AddEventHandler(changeHandler(onChange, k.hasStatus)); err != nil {
			return nil, fmt.Errorf("watch %s: %w", k.resource, err)
		}
		synced = append(synced, inf.HasSynced)
		s.listers = append(s.listers, list)
	}
	s.tlsCache = sf.Core().V1().Secrets().Informer().GetStore()
	kf.Start(ctx.Done())
	sf.Start(ctx.Done())
	gf.Start(ctx.Done())
	if policies != nil {
		policies.startFactory(ctx)
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return nil, fmt.Errorf("caches did not sync: %w", ctx.Err())
	}
	return s, nil
}

// clients are the API clients the sources read with; dynamic may be nil (RoutePolicies not watched).
type clients struct {
	kube    kubernetes.Interface
	gw      gwclient.Interface
	dynamic dynamic.Interface
}

// input copies the caches into an Input.
func (s *sources) input() (convert.Input, error) {
	var in convert.Input
	for _, list := range s.listers {
		if err := list(&in); err != nil {
			return in, err
		}
	}
	s.named.follow(namedSecretNames(&in))
	in.Secrets = append(in.Secrets, s.named.secrets()...)
	return in, nil
}

// changeHandler calls onChange on every event, except, for kinds whose status the controller writes,
// updates that change neither spec (generation) nor labels nor annotations: translation does not
// read status, so the controller's own status writes do not cause another rebuild.
func changeHandler(onChange func(), hasStatus bool) cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { onChange() },
		UpdateFunc: func(old, cur any) {
			if hasStatus && onlyStatusChanged(old, cur) {
				return
			}
			onChange()
		},
		DeleteFunc: func(any) { onChange() },
	}
}

func onlyStatusChanged(old, cur any) bool {
	o, ok1 := old.(metav1.Object)
	n, ok2 := cur.(metav1.Object)
	return ok1 && ok2 && n.GetGeneration() != 0 && o.GetGeneration() == n.GetGeneration() &&
		maps.Equal(o.GetLabels(), n.GetLabels()) && maps.Equal(o.GetAnnotations(), n.GetAnnotations())
}

// servedResources lists the resources (plural names) the API server serves in a group version (none
// when it serves none of the group's CRDs): a cluster without some CRD (TLSRoute, say) must not leave
// the controller waiting for a cache that never syncs.
func servedResources(kube kubernetes.Interface, groupVersion string) (map[string]bool, error) {
	served := map[string]bool{}
	list, err := kube.Discovery().ServerResourcesForGroupVersion(groupVersion)
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

// lister is what a generated lister of any kind offers.
type lister[T any] interface {
	List(selector labels.Selector) ([]*T, error)
}

// copyAll lists a cache into a field of the Input.
func copyAll[T any](l lister[T], field func(*convert.Input) *[]T) func(*convert.Input) error {
	return func(in *convert.Input) error {
		objs, err := l.List(labels.Everything())
		if err != nil {
			return err
		}
		out := field(in)
		for _, o := range objs {
			*out = append(*out, *o)
		}
		return nil
	}
}

// kind is one kind translation reads. start creates its informer (registering it with its factory)
// and its lister: it is called only for kinds that are watched.
type kind struct {
	resource  string // Gateway API plural name; empty for built-in kinds
	hasStatus bool   // the controller writes its status
	start     func() (cache.SharedIndexInformer, func(*convert.Input) error)
	// factory, when set, is the kind's own informer factory (not one of startSources').
	factory interface{ Start(stopCh <-chan struct{}) }
}

// watched builds a kind from an informer accessor.
func watched[T any, I interface {
	Informer() cache.SharedIndexInformer
	Lister() L
}, L lister[T]](resource string, hasStatus bool, i I, field func(*convert.Input) *[]T) kind {
	return kind{resource: resource, hasStatus: hasStatus, start: func() (cache.SharedIndexInformer, func(*convert.Input) error) {
		return i.Informer(), copyAll[T](i.Lister(), field)
	}}
}

// kinds lists every kind translation reads.
func kinds(kf, secrets informers.SharedInformerFactory, gf gwinformers.SharedInformerFactory) []kind {
	net, core, disc, gw := kf.Networking().V1(), kf.Core().V1(), kf.Discovery().V1(), gf.Gateway().V1()
	return []kind{
		watched("", false, net.IngressClasses(), func(in *convert.Input) *[]networkingv1.IngressClass { return &in.IngressClasses }),
		watched("", true, net.Ingresses(), func(in *convert.Input) *[]networkingv1.Ingress { return &in.Ingresses }),
		watched("", false, core.Services(), func(in *convert.Input) *[]corev1.Service { return &in.Services }),
		watched("", false, disc.EndpointSlices(), func(in *convert.Input) *[]discoveryv1.EndpointSlice { return &in.EndpointSlices }),
		watched("", false, core.Namespaces(), func(in *convert.Input) *[]corev1.Namespace { return &in.Namespaces }),
		watched("", false, secrets.Core().V1().Secrets(), func(in *convert.Input) *[]corev1.Secret { return &in.Secrets }),
		watched("gatewayclasses", true, gw.GatewayClasses(), func(in *convert.Input) *[]gwapiv1.GatewayClass { return &in.GatewayClasses }),
		watched("gateways", true, gw.Gateways(), func(in *convert.Input) *[]gwapiv1.Gateway { return &in.Gateways }),
		watched("listenersets", true, gw.ListenerSets(), func(in *convert.Input) *[]gwapiv1.ListenerSet { return &in.ListenerSets }),
		watched("httproutes", true, gw.HTTPRoutes(), func(in *convert.Input) *[]gwapiv1.HTTPRoute { return &in.HTTPRoutes }),
		watched("grpcroutes", true, gw.GRPCRoutes(), func(in *convert.Input) *[]gwapiv1.GRPCRoute { return &in.GRPCRoutes }),
		watched("tlsroutes", true, gw.TLSRoutes(), func(in *convert.Input) *[]gwapiv1.TLSRoute { return &in.TLSRoutes }),
		watched("referencegrants", false, gw.ReferenceGrants(), func(in *convert.Input) *[]gwapiv1.ReferenceGrant { return &in.ReferenceGrants }),
		watched("backendtlspolicies", true, gw.BackendTLSPolicies(), func(in *convert.Input) *[]gwapiv1.BackendTLSPolicy { return &in.BackendTLSPolicies }),
		caConfigMaps(core),
	}
}

// caConfigMaps watches the ConfigMaps BackendTLSPolicies and Gateways (spec.tls.frontend) may name for
// CA certificates. Which ones they name changes with them, so every ConfigMap is watched, but the cache keeps only each one's
// identity and its ca.crt.
func caConfigMaps(core corev1informers.Interface) kind {
	return kind{start: func() (cache.SharedIndexInformer, func(*convert.Input) error) {
		i := core.ConfigMaps()
		inf := i.Informer()
		_ = inf.SetTransform(keepCACert) // fails only once the informer runs: it has not started yet
		return inf, copyAll[corev1.ConfigMap](i.Lister(), func(in *convert.Input) *[]corev1.ConfigMap { return &in.ConfigMaps })
	}}
}

// keepCACert strips a ConfigMap down to what translation reads: its name, namespace, version and
// ca.crt.
func keepCACert(obj any) (any, error) {
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return obj, nil // a deletion tombstone: kept as it is
	}
	out := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name: cm.Name, Namespace: cm.Namespace, UID: cm.UID, ResourceVersion: cm.ResourceVersion,
		Generation: cm.Generation, CreationTimestamp: cm.CreationTimestamp,
	}}
	if v, ok := cm.Data[certs.CACertKey]; ok {
		out.Data = map[string]string{certs.CACertKey: v}
	}
	return out, nil
}
