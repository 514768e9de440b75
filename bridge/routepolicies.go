package bridge

import (
	"log/slog"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	gbv1alpha1 "github.com/gatebridge/gatebridge/api/v1alpha1"
	"github.com/gatebridge/gatebridge/convert"
)

// routePolicyKind watches gatebridge's RoutePolicies with a dynamic informer (the API has no generated
// client), while the API server serves their CRD. Without a dynamic client it returns no kind: the rules
// naming a RoutePolicy answer 500 as for a missing one.
func routePolicyKind(dyn dynamic.Interface, log *slog.Logger) *crdKind {
	if dyn == nil {
		return nil
	}
	return &crdKind{groupVersion: gbv1alpha1.SchemeGroupVersion.String(), resource: gbv1alpha1.RoutePolicyResource, make: func() (kind, informerFactory) {
		f := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 0)
		return kind{resource: gbv1alpha1.RoutePolicyResource, start: func() (cache.SharedIndexInformer, func(*convert.Input) error) {
			inf := f.ForResource(gbv1alpha1.RoutePolicies).Informer()
			return inf, func(in *convert.Input) error {
				in.RoutePolicies = append(in.RoutePolicies, routePolicies(inf.GetStore().List(), log)...)
				return nil
			}
		}}, f
	}}
}

// routePolicies converts the cached objects. One the schema let through but the Go type cannot hold is
// left out (its rules answer 500) and logged: it must not stop the others.
func routePolicies(objs []any, log *slog.Logger) []gbv1alpha1.RoutePolicy {
	var out []gbv1alpha1.RoutePolicy
	for _, obj := range objs {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		var p gbv1alpha1.RoutePolicy
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &p); err != nil {
			log.Warn("RoutePolicy left out", "namespace", u.GetNamespace(), "name", u.GetName(), "error", err)
			continue
		}
		out = append(out, p)
	}
	return out
}
