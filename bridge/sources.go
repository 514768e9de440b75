package bridge

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwinformers "sigs.k8s.io/gateway-api/pkg/client/informers/externalversions"

	"github.com/gatebridge/gatebridge/convert"
)

type metav1ListOptions = metav1.ListOptions

// servedGatewayKinds lists the Gateway API resources (plural names) the API server serves in v1: a
// cluster without some CRD (TLSRoute, say) must not leave the controller waiting for a cache that
// never syncs.
func servedGatewayKinds(kube kubernetes.Interface) (map[string]bool, error) {
	served := map[string]bool{}
	list, err := kube.Discovery().ServerResourcesForGroupVersion(gwapiv1.GroupVersion.String())
	if err != nil {
		if isNotFound(err) {
			return served, nil // no Gateway API CRDs: Ingress only
		}
		return nil, fmt.Errorf("discover %s: %w", gwapiv1.GroupVersion, err)
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
		objs, err := l.List(everything)
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

// watchKinds registers the informer of every kind translation reads.
func watchKinds(kf, secrets informers.SharedInformerFactory, gf gwinformers.SharedInformerFactory, served map[string]bool,
	watch func(cache.SharedIndexInformer, func(*convert.Input) error) error,
) error {
	type kind struct {
		resource string // Gateway API plural name; empty for built-in kinds
		informer cache.SharedIndexInformer
		list     func(*convert.Input) error
	}
	net, core, disc, gw := kf.Networking().V1(), kf.Core().V1(), kf.Discovery().V1(), gf.Gateway().V1()
	kinds := []kind{
		{"", net.IngressClasses().Informer(), copyAll(net.IngressClasses().Lister(), func(in *convert.Input) *[]networkingv1.IngressClass { return &in.IngressClasses })},
		{"", net.Ingresses().Informer(), copyAll(net.Ingresses().Lister(), func(in *convert.Input) *[]networkingv1.Ingress { return &in.Ingresses })},
		{"", core.Services().Informer(), copyAll(core.Services().Lister(), func(in *convert.Input) *[]corev1.Service { return &in.Services })},
		{"", disc.EndpointSlices().Informer(), copyAll(disc.EndpointSlices().Lister(), func(in *convert.Input) *[]discoveryv1.EndpointSlice { return &in.EndpointSlices })},
		{"", core.Namespaces().Informer(), copyAll(core.Namespaces().Lister(), func(in *convert.Input) *[]corev1.Namespace { return &in.Namespaces })},
		{"", secrets.Core().V1().Secrets().Informer(), copyAll(secrets.Core().V1().Secrets().Lister(), func(in *convert.Input) *[]corev1.Secret { return &in.Secrets })},
	}
	if served["gatewayclasses"] {
		kinds = append(kinds,
			kind{"gatewayclasses", gw.GatewayClasses().Informer(), copyAll(gw.GatewayClasses().Lister(), func(in *convert.Input) *[]gwapiv1.GatewayClass { return &in.GatewayClasses })},
			kind{"gateways", gw.Gateways().Informer(), copyAll(gw.Gateways().Lister(), func(in *convert.Input) *[]gwapiv1.Gateway { return &in.Gateways })},
			kind{"httproutes", gw.HTTPRoutes().Informer(), copyAll(gw.HTTPRoutes().Lister(), func(in *convert.Input) *[]gwapiv1.HTTPRoute { return &in.HTTPRoutes })},
			kind{"grpcroutes", gw.GRPCRoutes().Informer(), copyAll(gw.GRPCRoutes().Lister(), func(in *convert.Input) *[]gwapiv1.GRPCRoute { return &in.GRPCRoutes })},
			kind{"tlsroutes", gw.TLSRoutes().Informer(), copyAll(gw.TLSRoutes().Lister(), func(in *convert.Input) *[]gwapiv1.TLSRoute { return &in.TLSRoutes })},
			kind{"referencegrants", gw.ReferenceGrants().Informer(), copyAll(gw.ReferenceGrants().Lister(), func(in *convert.Input) *[]gwapiv1.ReferenceGrant { return &in.ReferenceGrants })},
		)
	}
	for _, k := range kinds {
		if k.resource != "" && !served[k.resource] {
			continue
		}
		if err := watch(k.informer, k.list); err != nil {
			return err
		}
	}
	return nil
}

func isNotFound(err error) bool { return apierrors.IsNotFound(err) }
