package manifests_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
	"k8s.io/utils/ptr"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/internal/eventually"
	"github.com/gatebridge/gatebridge/internal/kubetest"
	"github.com/gatebridge/gatebridge/manifests"
	gatebridgecrds "github.com/gatebridge/gatebridge/manifests/crds/gatebridge"
	gatewayapicrds "github.com/gatebridge/gatebridge/manifests/crds/gateway-api"
)

const (
	namespace      = "gatebridge-system"
	serviceAccount = "system:serviceaccount:gatebridge-system:gatebridge"
)

// TestInstall applies the CRDs, the install manifests and two fleets to a real API server, then runs
// the controller as its ServiceAccount: what it needs is granted, and what it must not do is refused.
// One control plane serves every subtest.
func TestInstall(t *testing.T) {
	// The service account controller makes the default ServiceAccount the Envoy pods run as.
	cluster := kubetest.Start(t, kubetest.Options{ControllerManager: true, Controllers: []string{"serviceaccount-controller"}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	all := installManifests(t)
	applied, err := cluster.Apply(ctx, all)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("applying again changes nothing", func(t *testing.T) {
		// The first update of a Gateway API object stores the status the CRD defaults (the object was
		// stored without it, status being dropped on create), whatever the update: apply once more
		// before comparing. A field that fights the API server would change it every time.
		if _, err := cluster.Apply(ctx, all); err != nil {
			t.Fatal(err)
		}
		before := resourceVersions(ctx, t, cluster, applied)
		again, err := cluster.Apply(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range again {
			key := objectKey(o)
			if before[key] != o.GetResourceVersion() {
				t.Errorf("%s: resourceVersion %s → %s", key, before[key], o.GetResourceVersion())
			}
		}
		if len(again) != len(before) {
			t.Errorf("%d objects applied again, %d the first time", len(again), len(before))
		}
	})

	t.Run("every pod passes the restricted Pod Security Standard", func(t *testing.T) {
		testPodSecurity(ctx, t, cluster, applied)
	})

	kube, gw, dyn := serviceAccountClients(ctx, t, cluster)
	if _, err := cluster.Apply(ctx, []byte(shop)); err != nil {
		t.Fatal(err)
	}

	t.Run("the controller leads and writes status and Events as its ServiceAccount", func(t *testing.T) {
		setFleetAddresses(ctx, t, cluster)
		runController(ctx, t, kube, gw, dyn)
		eventually.Within(t, time.Minute, "status written by the controller", func() error { return checkStatus(ctx, cluster) })
		eventually.Within(t, time.Minute, "Event about the Ingress", func() error { return checkEvent(ctx, cluster) })
		eventually.Within(t, time.Minute, "Lease renewed", func() error { return checkLease(ctx, cluster) })
	})

	t.Run("the ServiceAccount may patch an Event", func(t *testing.T) {
		testAllowed(ctx, t, kube)
	})

	t.Run("the ServiceAccount is refused everything else", func(t *testing.T) {
		testForbidden(ctx, t, cluster, kube, gw)
	})
}

// installManifests are the standard CRDs, the install manifests, the Ingress fleet and a Gateway's
// fleet, in the order they must be applied.
func installManifests(t *testing.T) []byte {
	t.Helper()
	crds, err := gatewayapicrds.Bundle(gatewayapicrds.Standard)
	if err != nil {
		t.Fatal(err)
	}
	own, err := gatebridgecrds.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	crds = append(crds, own...)
	install, err := manifests.Install()
	if err != nil {
		t.Fatal(err)
	}
	ingress, err := manifests.IngressFleet()
	if err != nil {
		t.Fatal(err)
	}
	gateway, err := manifests.Fleet(manifests.FleetOptions{Fleet: convert.GatewayFleet("shop", "web"), Ports: []uint32{8080}})
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, b := range [][]byte{crds, install, ingress, gateway} {
		all = append(append(all, "---\n"...), b...)
	}
	return all
}

func objectKey(o *unstructured.Unstructured) string {
	return fmt.Sprintf("%s %s/%s", o.GetKind(), o.GetNamespace(), o.GetName())
}

// resourceVersions reads the current resourceVersion of each object (CRDs change after they are
// applied, when they become established).
func resourceVersions(ctx context.Context, t *testing.T, cluster *kubetest.Cluster, objs []*unstructured.Unstructured) map[string]string {
	t.Helper()
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cluster.Client.Discovery()))
	out := map[string]string{}
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("%s: %v", objectKey(o), err)
		}
		live, err := cluster.Dynamic.Resource(m.Resource).Namespace(o.GetNamespace()).Get(ctx, o.GetName(), metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s: %v", objectKey(o), err)
		}
		out[objectKey(o)] = live.GetResourceVersion()
	}
	return out
}

// testPodSecurity creates, as a dry run, a pod from each Deployment's template in its namespace,
// which enforces the restricted Pod Security Standard.
func testPodSecurity(ctx context.Context, t *testing.T, cluster *kubetest.Cluster, applied []*unstructured.Unstructured) {
	// Pods need their ServiceAccount to exist: the Envoys run as the default one.
	eventually.Within(t, 30*time.Second, "default ServiceAccount of "+namespace, func() error {
		_, err := cluster.Client.CoreV1().ServiceAccounts(namespace).Get(ctx, "default", metav1.GetOptions{})
		return err
	})
	ns, err := cluster.Client.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	if err != nil || ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Fatalf("namespace %s labels %v (%v): want enforce restricted", namespace, ns.Labels, err)
	}
	deployments := 0
	for _, o := range applied {
		if o.GetKind() != "Deployment" {
			continue
		}
		deployments++
		var d appsv1.Deployment
		fromUnstructured(t, o, &d)
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{GenerateName: d.Name + "-", Namespace: d.Namespace, Labels: d.Spec.Template.Labels},
			Spec:       d.Spec.Template.Spec,
		}
		if _, err := cluster.Client.CoreV1().Pods(d.Namespace).Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			t.Errorf("a pod of Deployment %s/%s: %v", d.Namespace, d.Name, err)
		}
	}
	if deployments != 3 {
		t.Errorf("%d Deployments, want the controller and two fleets", deployments)
	}
}

// serviceAccountClients are clients that authenticate as the controller's ServiceAccount, with a token
// the API server issues for it.
func serviceAccountClients(ctx context.Context, t *testing.T, cluster *kubetest.Cluster) (kubernetes.Interface, gwclient.Interface, dynamic.Interface) {
	t.Helper()
	tr, err := cluster.Client.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, "gatebridge",
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := cluster.RESTConfig()
	cfg.BearerToken, cfg.BearerTokenFile, cfg.UserAgent = tr.Status.Token, "", "gatebridge-install-test"
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gwclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Without this the test would prove nothing: the clients must not be the administrator's.
	who, err := kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil || who.Status.UserInfo.Username != serviceAccount {
		t.Fatalf("the clients act as %+v (%v), want %s", who.Status.UserInfo, err, serviceAccount)
	}
	return kube, gw, dyn
}

// shop is what the controller serves: an Ingress of the IngressClass and an HTTPRoute on a Gateway of
// the GatewayClass of the install manifests, both to one Service.
const shop = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: shop
  # Unsupported: the controller records an Event about it.
  annotations: {nginx.ingress.kubernetes.io/configuration-snippet: "more_set_headers x: y;"}
spec:
  ingressClassName: gatebridge
  rules:
  - host: ingress.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: shop}
spec:
  gatewayClassName: gatebridge
  allowedListeners: {namespaces: {from: Same}}
  listeners: [{name: http, protocol: HTTP, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: extra, namespace: shop}
spec:
  parentRef: {name: web}
  listeners: [{name: http, protocol: HTTP, port: 8080, hostname: extra.example.com}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs: [{name: web}]
  hostnames: [route.example.com]
  rules:
  - filters: [{type: ExtensionRef, extensionRef: {group: gatebridge.dev, kind: RoutePolicy, name: uploads}}]
    backendRefs: [{name: api, port: 80}]
---
# Read through the RoutePolicy rule of the ClusterRole: the HTTPRoute's references resolve.
apiVersion: gatebridge.dev/v1alpha1
kind: RoutePolicy
metadata: {name: uploads, namespace: shop}
spec: {maxRequestBodyBytes: 1048576}
`

// Addresses that a cloud's load balancers would give the Services of the fleets.
const ingressAddress, gatewayAddress = "192.0.2.10", "192.0.2.20"

// setFleetAddresses writes the status a cloud controller would write on the fleets' LoadBalancer
// Services: the controller finds them by their fleet label.
func setFleetAddresses(ctx context.Context, t *testing.T, cluster *kubetest.Cluster) {
	t.Helper()
	for name, ip := range map[string]string{manifests.IngressFleetOptions.Fleet: ingressAddress, convert.GatewayFleet("shop", "web"): gatewayAddress} {
		svc, err := cluster.Client.CoreV1().Services(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
		if _, err := cluster.Client.CoreV1().Services(namespace).UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// runController runs the real controller, as the installed Deployment configures it, with the given
// clients until the test ends.
func runController(ctx context.Context, t *testing.T, kube kubernetes.Interface, gw gwclient.Interface, dyn dynamic.Interface) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctrl := bridge.NewController(bridge.ControllerOptions{
		Kube: kube, Gateway: gw, Dynamic: dyn,
		LeaderElection: &bridge.LeaderElection{Namespace: namespace, Name: "gatebridge", Identity: leaderIdentity, RetryPeriod: 200 * time.Millisecond},
		Addressing:     bridge.Addressing{FleetServiceNamespace: namespace},
		Log:            slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ctrl.Run(ctx, lis) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("controller: %v", err)
		}
	})
}

const leaderIdentity = "gatebridge-test-0"

// checkStatus reports, reading as the administrator, what is missing from the status the controller
// should have written.
func checkStatus(ctx context.Context, cluster *kubetest.Cluster) error {
	gw, err := gwclient.NewForConfig(cluster.Config)
	if err != nil {
		return err
	}
	gc, err := gw.GatewayV1().GatewayClasses().Get(ctx, "gatebridge", metav1.GetOptions{})
	if err != nil || !apimeta.IsStatusConditionTrue(gc.Status.Conditions, "Accepted") {
		return fmt.Errorf("GatewayClass gatebridge not Accepted: %+v (%v)", gc.Status, err)
	}
	g, err := gw.GatewayV1().Gateways("shop").Get(ctx, "web", metav1.GetOptions{})
	if err != nil || !apimeta.IsStatusConditionTrue(g.Status.Conditions, "Accepted") || len(g.Status.Addresses) != 1 || g.Status.Addresses[0].Value != gatewayAddress {
		return fmt.Errorf("Gateway shop/web status %+v (%v), want Accepted with the address %s", g.Status, err, gatewayAddress)
	}
	r, err := gw.GatewayV1().HTTPRoutes("shop").Get(ctx, "shop", metav1.GetOptions{})
	if err != nil || len(r.Status.Parents) != 1 || !apimeta.IsStatusConditionTrue(r.Status.Parents[0].Conditions, "Accepted") ||
		!apimeta.IsStatusConditionTrue(r.Status.Parents[0].Conditions, "ResolvedRefs") {
		return fmt.Errorf("HTTPRoute shop/shop has no Accepted parent with its references (a RoutePolicy) resolved: %+v (%v)", r.Status, err)
	}
	ls, err := gw.GatewayV1().ListenerSets("shop").Get(ctx, "extra", metav1.GetOptions{})
	if err != nil || !apimeta.IsStatusConditionTrue(ls.Status.Conditions, "Accepted") || g.Status.AttachedListenerSets == nil || *g.Status.AttachedListenerSets != 1 {
		return fmt.Errorf("ListenerSet shop/extra status %+v (%v), want Accepted and counted by its Gateway (%v)", ls.Status, err, g.Status.AttachedListenerSets)
	}
	ing, err := cluster.Client.NetworkingV1().Ingresses("shop").Get(ctx, "shop", metav1.GetOptions{})
	if err != nil || len(ing.Status.LoadBalancer.Ingress) != 1 || ing.Status.LoadBalancer.Ingress[0].IP != ingressAddress {
		return fmt.Errorf("Ingress shop/shop status %+v (%v), want the address %s", ing.Status, err, ingressAddress)
	}
	return nil
}

// checkEvent reports whether the controller recorded an Event about the Ingress's annotation.
func checkEvent(ctx context.Context, cluster *kubetest.Cluster) error {
	events, err := cluster.Client.CoreV1().Events("shop").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.kind=Ingress,involvedObject.name=shop"})
	if err != nil {
		return err
	}
	for _, e := range events.Items {
		if e.Source.Component == "gatebridge" && e.Reason == "UnsupportedAnnotation" {
			return nil
		}
	}
	return fmt.Errorf("no UnsupportedAnnotation Event from gatebridge among %d", len(events.Items))
}

// checkLease reports whether the controller holds the Lease and has renewed it (an update).
func checkLease(ctx context.Context, cluster *kubetest.Cluster) error {
	l, err := cluster.Client.CoordinationV1().Leases(namespace).Get(ctx, "gatebridge", metav1.GetOptions{})
	if err != nil {
		return err
	}
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != leaderIdentity || l.Spec.AcquireTime == nil || l.Spec.RenewTime == nil ||
		!l.Spec.RenewTime.After(l.Spec.AcquireTime.Time) {
		return fmt.Errorf("Lease held by %q, acquired %v, renewed %v: want held by %s and renewed since acquired",
			ptr.Deref(l.Spec.HolderIdentity, ""), l.Spec.AcquireTime, l.Spec.RenewTime, leaderIdentity)
	}
	return nil
}
