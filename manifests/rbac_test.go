package manifests_test

import (
	"context"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gatebridge/gatebridge/internal/kubetest"
)

// testAllowed patches, as the ServiceAccount, an Event: Event recording does so for a repeat, which
// the controller's run may not have made.
func testAllowed(ctx context.Context, t *testing.T, kube kubernetes.Interface) {
	events := kube.CoreV1().Events("shop")
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: "shop-"},
		InvolvedObject: corev1.ObjectReference{Kind: "Ingress", APIVersion: "networking.k8s.io/v1", Namespace: "shop", Name: "shop"},
		Type:           corev1.EventTypeWarning, Reason: "UnsupportedAnnotation", Message: "a test event", Count: 1,
		Source: corev1.EventSource{Component: "gatebridge"},
	}
	ev, err := events.Create(ctx, ev, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create an Event in another namespace: %v", err)
	}
	if _, err := events.Patch(ctx, ev.Name, types.MergePatchType, []byte(`{"count":2}`), metav1.PatchOptions{}); err != nil {
		t.Errorf("patch an Event (a repeat): %v", err)
	}
}

// testForbidden makes, as the ServiceAccount, calls the controller never makes: each must be refused.
func testForbidden(ctx context.Context, t *testing.T, cluster *kubetest.Cluster, kube kubernetes.Interface, gw gwclient.Interface) {
	admin, err := gwclient.NewForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	// Objects to write back changed are read as the administrator: the ServiceAccount may not get them.
	gateway, err := admin.GatewayV1().Gateways("shop").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	class, err := admin.GatewayV1().GatewayClasses().Get(ctx, "gatebridge", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := cluster.Client.CoreV1().Services(namespace).Get(ctx, "ingress-gatebridge", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		call func() error
	}{
		{"create a Secret", func() error {
			_, err := kube.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "stolen"}}, metav1.CreateOptions{})
			return err
		}},
		{"get one Secret by name", func() error {
			_, err := kube.CoreV1().Secrets(namespace).Get(ctx, "any", metav1.GetOptions{})
			return err
		}},
		{"get one ConfigMap by name", func() error {
			_, err := kube.CoreV1().ConfigMaps(namespace).Get(ctx, "any", metav1.GetOptions{})
			return err
		}},
		{"change a ConfigMap", func() error {
			_, err := kube.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "planted"}}, metav1.CreateOptions{})
			return err
		}},
		{"change a Gateway's spec", func() error {
			g := gateway.DeepCopy()
			g.Spec.Listeners[0].Port = 9090
			_, err := gw.GatewayV1().Gateways("shop").Update(ctx, g, metav1.UpdateOptions{})
			return err
		}},
		{"change a GatewayClass's spec", func() error {
			c := class.DeepCopy()
			c.Spec.Description = ptr.To("changed")
			_, err := gw.GatewayV1().GatewayClasses().Update(ctx, c, metav1.UpdateOptions{})
			return err
		}},
		{"change an Ingress's spec", func() error {
			_, err := kube.NetworkingV1().Ingresses("shop").Patch(ctx, "shop", types.MergePatchType, []byte(`{"spec":{"ingressClassName":"other"}}`), metav1.PatchOptions{})
			return err
		}},
		{"create an HTTPRoute", func() error {
			r := &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Name: "hijack"}}
			_, err := gw.GatewayV1().HTTPRoutes("shop").Create(ctx, r, metav1.CreateOptions{})
			return err
		}},
		{"delete a Service", func() error {
			return kube.CoreV1().Services("shop").Delete(ctx, "api", metav1.DeleteOptions{})
		}},
		{"write a fleet Service's load balancer status", func() error {
			s := fleet.DeepCopy()
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.1"}}
			_, err := kube.CoreV1().Services(namespace).UpdateStatus(ctx, s, metav1.UpdateOptions{})
			return err
		}},
		{"create a Lease in another namespace", func() error {
			_, err := kube.CoordinationV1().Leases("shop").Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "gatebridge"}}, metav1.CreateOptions{})
			return err
		}},
		{"take over another Lease of its namespace", func() error {
			_, err := kube.CoordinationV1().Leases(namespace).Update(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, metav1.UpdateOptions{})
			return err
		}},
		{"delete an Event", func() error {
			return kube.CoreV1().Events("shop").DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
		}},
		{"create a Pod", func() error {
			p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "shell"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
			_, err := kube.CoreV1().Pods(namespace).Create(ctx, p, metav1.CreateOptions{})
			return err
		}},
		{"bind itself cluster-admin", func() error {
			b := &rbacv1.ClusterRoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "gatebridge-admin"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
				Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: "gatebridge"}},
			}
			_, err := kube.RbacV1().ClusterRoleBindings().Create(ctx, b, metav1.CreateOptions{})
			return err
		}},
	} {
		if err := c.call(); !apierrors.IsForbidden(err) {
			t.Errorf("%s: %v, want Forbidden", c.what, err)
		}
	}
}
