package bridge

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gatebridge/gatebridge/convert"
)

// ReadIngresses lists, once, what a migration of Ingresses reads from a cluster: IngressClasses, and the
// Ingresses and Services of the namespaces (every namespace when none is given). Secrets are not read:
// a migration only names them.
func ReadIngresses(ctx context.Context, kube kubernetes.Interface, namespaces []string) (convert.Input, error) {
	var in convert.Input
	classes, err := kube.NetworkingV1().IngressClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return in, fmt.Errorf("list ingressclasses: %w", err)
	}
	in.IngressClasses = classes.Items
	if len(namespaces) == 0 {
		namespaces = []string{metav1.NamespaceAll}
	}
	for _, ns := range namespaces {
		ings, err := kube.NetworkingV1().Ingresses(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return in, fmt.Errorf("list ingresses in %q: %w", ns, err)
		}
		in.Ingresses = append(in.Ingresses, ings.Items...)
		svcs, err := kube.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return in, fmt.Errorf("list services in %q: %w", ns, err)
		}
		in.Services = append(in.Services, svcs.Items...)
	}
	return in, nil
}
