package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
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
	gwv1informers "sigs.k8s.io/gateway-api/pkg/client/informers/externalversions/apis/v1"

	"github.com/gatebridge/gatebridge/certs"
	"github.com/gatebridge/gatebridge/convert"
)

// sources are the informers whose caches make the Input.
type sources struct {
	listers []func(in *convert.Input) error
	// crds watches the kinds CRDs define, while the API server serves them (crdkinds.go).
	crds *crdWatcher
	// named caches the Secrets Ingresses name in annotations (namedsecrets.go).
	named *namedSecrets
	// tlsCache is the store of the TLS Secrets informer: with named, every Secret the controller holds.
	tlsCache cache.Store
}

// tlsSecrets selects the Secrets the controller caches for TLS: TLS Secrets only, never every Secret.
// The Secrets an Ingress names in an annotation are watched one by one (namedsecrets.go).
const tlsSecrets = "type=kubernetes.io/tls"

// startSources starts an informer per kind translation reads and waits for their caches. The kinds of
// CRDs (Gateway API, RoutePolicy) are watched only while the API server serves them: discovery runs
// again every interval, so a CRD installed or removed later is followed without a restart. onChange
// runs on every event that can change the translation.
func startSources(ctx context.Context, c clients, interval time.Duration, log *slog.Logger, onChange func()) (*sources, error) {
	kf := informers.NewSharedInformerFactory(c.kube, 0)
	sf := informers.NewSharedInformerFactoryWithOptions(c.kube, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = tlsSecrets
	}))
	s := &sources{named: newNamedSecrets(ctx, c.kube, onChange)}
	var synced []cache.InformerSynced
	for _, k := range kinds(kf, sf) {
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
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return nil, fmt.Errorf("caches did not sync: %w", ctx.Err())
	}
	crds := gatewayKinds(c.gw)
	if p := routePolicyKind(c.dynamic, log); p != nil {
		crds = append(crds, *p)
	}
	s.crds = &crdWatcher{kube: c.kube, kinds: crds, onChange: onChange, log: log, active: map[string]*crdWatch{}}
	if err := s.crds.discover(ctx); err != nil {
		return nil, err
	}
	if missing := s.crds.missing(); len(missing) > 0 {
		log.Info("CRD kinds not served by the API server: watched once they are", "kinds", missing)
	}
	go s.crds.follow(ctx, interval)
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
	for _, list := range append(slices.Clip(s.listers), s.crds.lists()...) {
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
	resource  string // plural name of a CRD kind; empty for built-in kinds
	hasStatus bool   // the controller writes its status
	start     func() (cache.SharedIndexInformer, func(*convert.Input) error)
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

// kinds lists the built-in kinds translation reads.
func kinds(kf, secrets informers.SharedInformerFactory) []kind {
	net, core, disc := kf.Networking().V1(), kf.Core().V1(), kf.Discovery().V1()
	return []kind{
		watched("", false, net.IngressClasses(), func(in *convert.Input) *[]networkingv1.IngressClass { return &in.IngressClasses }),
		watched("", true, net.Ingresses(), func(in *convert.Input) *[]networkingv1.Ingress { return &in.Ingresses }),
		watched("", false, core.Services(), func(in *convert.Input) *[]corev1.Service { return &in.Services }),
		watched("", false, disc.EndpointSlices(), func(in *convert.Input) *[]discoveryv1.EndpointSlice { return &in.EndpointSlices }),
		watched("", false, core.Namespaces(), func(in *convert.Input) *[]corev1.Namespace { return &in.Namespaces }),
		watched("", false, secrets.Core().V1().Secrets(), func(in *convert.Input) *[]corev1.Secret { return &in.Secrets }),
		caConfigMaps(core),
	}
}

// gatewayKinds lists the Gateway API kinds translation reads, each with an informer factory of its own.
func gatewayKinds(gw gwclient.Interface) []crdKind {
	return []crdKind{
		gatewayKind(gw, "gatewayclasses", true, gwv1informers.Interface.GatewayClasses, func(in *convert.Input) *[]gwapiv1.GatewayClass { return &in.GatewayClasses }),
		gatewayKind(gw, "gateways", true, gwv1informers.Interface.Gateways, func(in *convert.Input) *[]gwapiv1.Gateway { return &in.Gateways }),
		gatewayKind(gw, "listenersets", true, gwv1informers.Interface.ListenerSets, func(in *convert.Input) *[]gwapiv1.ListenerSet { return &in.ListenerSets }),
		gatewayKind(gw, "httproutes", true, gwv1informers.Interface.HTTPRoutes, func(in *convert.Input) *[]gwapiv1.HTTPRoute { return &in.HTTPRoutes }),
		gatewayKind(gw, "grpcroutes", true, gwv1informers.Interface.GRPCRoutes, func(in *convert.Input) *[]gwapiv1.GRPCRoute { return &in.GRPCRoutes }),
		gatewayKind(gw, "tlsroutes", true, gwv1informers.Interface.TLSRoutes, func(in *convert.Input) *[]gwapiv1.TLSRoute { return &in.TLSRoutes }),
		gatewayKind(gw, "referencegrants", false, gwv1informers.Interface.ReferenceGrants, func(in *convert.Input) *[]gwapiv1.ReferenceGrant { return &in.ReferenceGrants }),
		gatewayKind(gw, "backendtlspolicies", true, gwv1informers.Interface.BackendTLSPolicies, func(in *convert.Input) *[]gwapiv1.BackendTLSPolicy { return &in.BackendTLSPolicies }),
	}
}

// gatewayKind is a Gateway API kind of gateway.networking.k8s.io/v1.
func gatewayKind[T any, I interface {
	Informer() cache.SharedIndexInformer
	Lister() L
}, L lister[T]](gw gwclient.Interface, resource string, hasStatus bool, accessor func(gwv1informers.Interface) I, field func(*convert.Input) *[]T) crdKind {
	return crdKind{groupVersion: gwapiv1.GroupVersion.String(), resource: resource, make: func() (kind, informerFactory) {
		f := gwinformers.NewSharedInformerFactory(gw, 0)
		return watched(resource, hasStatus, accessor(f.Gateway().V1()), field), f
	}}
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
