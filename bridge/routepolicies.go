package bridge

import (
	"context"
	"log/slog"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	gbv1alpha1 "github.com/gatebridge/gatebridge/api/v1alpha1"
	"github.com/gatebridge/gatebridge/convert"
)

// routePolicyKind watches gatebridge's RoutePolicies with a dynamic informer (the API has no generated
// client). Without a dynamic client, or when the API server does not serve the CRD, it returns no kind:
// the controller runs, and the rules naming a RoutePolicy answer 500 as for a missing one. The CRD is
// looked for once, when the controller starts.
func routePolicyKind(kube kubernetes.Interface, dyn dynamic.Interface, log *slog.Logger) (*kind, error) {
	if dyn == nil {
		return nil, nil
	}
	gv := gbv1alpha1.SchemeGroupVersion.String()
	served, err := servedResources(kube, gv)
	if err != nil {
		return nil, err
	}
	if !served[gbv1alpha1.RoutePolicyResource] {
		log.Info("RoutePolicies not watched: the API server does not serve them (install the CRD and restart)", "groupVersion", gv)
		return nil, nil
	}
	f := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 0)
	return &kind{resource: gbv1alpha1.RoutePolicyResource, start: func() (cache.SharedIndexInformer, func(*convert.Input) error) {
		inf := f.ForResource(gbv1alpha1.RoutePolicies).Informer()
		return inf, func(in *convert.Input) error {
			in.RoutePolicies = append(in.RoutePolicies, routePolicies(inf.GetStore().List(), log)...)
			return nil
		}
	}, factory: f}, nil
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

// startFactory starts the informers of a kind's own factory, if it has one.
func (k *kind) startFactory(ctx context.Context) {
	if k.factory != nil {
		k.factory.Start(ctx.Done())
	}
}
