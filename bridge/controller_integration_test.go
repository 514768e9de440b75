package bridge_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/envoyxds"
	"github.com/gatebridge/gatebridge/internal/eventually"
	"github.com/gatebridge/gatebridge/internal/kubetest"
	"github.com/gatebridge/gatebridge/internal/pki"
	gatewayapicrds "github.com/gatebridge/gatebridge/manifests/crds/gateway-api"
)

const (
	// lbAddress is what every controller of these tests writes into the status of its Ingresses.
	lbAddress = "192.0.2.10"
	// waitFor bounds every wait for the controller; a passing run needs a fraction of it.
	waitFor = 20 * time.Second
	// ingressFleet is the fleet of the IngressClass gatebridge.
	ingressFleet = "ingress-gatebridge"
	resolved     = "ResolvedRefs" // the reason of ResolvedRefs True, for listeners and routes alike
)

const clusterManifests = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: gatebridge}
spec: {controller: ` + convert.DefaultIngressController + `}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: other}
spec: {controller: example.com/other-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gatebridge}
spec: {controllerName: ` + convert.DefaultGatewayController + `}
`

// env is one control plane shared by every case. Each case works in its own namespace with unique
// hostnames, and runs its controllers one at a time: they all see the whole cluster.
type env struct {
	ctx     context.Context
	cluster *kubetest.Cluster
	gw      gwclient.Interface
}

// TestControllerAgainstAPIServer drives the real controller against a real kube-apiserver and reads
// what it serves (its latest sync, its xDS server) and the status it writes.
func TestControllerAgainstAPIServer(t *testing.T) {
	cluster := kubetest.Start(t, kubetest.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	crds, err := gatewayapicrds.Bundle(gatewayapicrds.Standard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.Apply(ctx, append(crds, "---\n"+clusterManifests...)); err != nil {
		t.Fatal(err)
	}
	gw, err := gwclient.NewForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{ctx: ctx, cluster: cluster, gw: gw}
	t.Run("ingress class selection", e.testIngressClasses)
	t.Run("status written and updated", e.testStatus)
	t.Run("secret created after its ingress", e.testLateSecret)
	t.Run("auth secret followed by name", e.testAuthSecret)
	t.Run("proxy-ssl-secret followed by name", e.testProxySSLSecret)
	t.Run("an expiring certificate is dropped without an API event", e.testExpiry)
	t.Run("endpoints follow endpointslices", e.testEndpoints)
	t.Run("restart loses no config", e.testRestart)
	// Last: until then the RoutePolicy CRD is absent, which must not stop the controllers above.
	t.Run("route policies followed", e.testRoutePolicy)
}

// running is a controller under test.
type running struct {
	*bridge.Controller
	stop   func()
	writes kubetest.StatusWrites // what its clients sent
}

// start runs a controller until the test ends or stop is called, and waits for its first sync.
func (e *env) start(t *testing.T, opts convert.Options) *running {
	t.Helper()
	r := &running{}
	cfg := r.writes.Wrap(e.cluster.Config)
	kube, err1 := kubernetes.NewForConfig(cfg)
	gw, err2 := gwclient.NewForConfig(cfg)
	lis, err3 := net.Listen("tcp", "127.0.0.1:0")
	dyn, err4 := dynamic.NewForConfig(cfg)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		t.Fatal(err)
	}
	opts.IngressAddresses = []string{lbAddress}
	r.Controller = bridge.NewController(bridge.ControllerOptions{Kube: kube, Gateway: gw, Dynamic: dyn, Translate: opts,
		DiscoveryInterval: 300 * time.Millisecond, Log: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	var runErr error
	go func() {
		defer close(done)
		runErr = r.Run(ctx, lis)
	}()
	r.stop = sync.OnceFunc(func() {
		cancel()
		<-done
		if runErr != nil {
			t.Errorf("controller: %v", runErr)
		}
	})
	t.Cleanup(r.stop)
	eventually.Within(t, waitFor, "first sync", func() error {
		select {
		case <-done:
			t.Fatalf("controller stopped before its first sync: %v", runErr)
		default:
		}
		_, err := r.last()
		return err
	})
	return r
}

// last returns the result of the controller's latest completed sync.
func (r *running) last() (*convert.Result, error) {
	res, n := r.Last()
	if res == nil || n == 0 {
		return nil, errors.New("no sync has completed yet")
	}
	return res, nil
}

// testWriter sends the controller's log to the test's: shown when the test fails or with -v.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func (e *env) namespace(t *testing.T, name string) {
	t.Helper()
	if err := e.cluster.CreateNamespace(e.ctx, name); err != nil {
		t.Fatal(err)
	}
}

func (e *env) apply(t *testing.T, manifests ...string) {
	t.Helper()
	if _, err := e.cluster.Apply(e.ctx, []byte(strings.Join(manifests, "---\n"))); err != nil {
		t.Fatal(err)
	}
}

// host is the hostname of object name in namespace ns: unique in the cluster, where the Ingresses of
// class gatebridge of every case share one fleet.
func host(ns, name string) string { return name + "." + ns + ".example.com" }

// ingressYAML sends every request for host(ns, name) to port 80 of Service backend; class and
// annotations (the content of a YAML flow mapping) are left out when empty.
func ingressYAML(ns, name, class, annotations, backend string) string {
	s := fmt.Sprintf("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: %s\n  namespace: %s\n", name, ns)
	if annotations != "" {
		s += "  annotations: {" + annotations + "}\n"
	}
	s += "spec:\n"
	if class != "" {
		s += "  ingressClassName: " + class + "\n"
	}
	return s + fmt.Sprintf("  rules:\n  - host: %s\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: %s, port: {number: 80}}}}]}\n",
		host(ns, name), backend)
}

// tlsIngressYAML is ingressYAML of class gatebridge with its host served over HTTPS with secret.
func tlsIngressYAML(ns, name, backend, secret string) string {
	return ingressYAML(ns, name, "gatebridge", "", backend) + fmt.Sprintf("  tls: [{hosts: [%s], secretName: %s}]\n", host(ns, name), secret)
}

func serviceYAML(ns, name string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\n"+
		"spec: {selector: {app: %[1]s}, ports: [{name: http, port: 80, targetPort: 8080}]}\n", name, ns)
}

func gatewayYAML(ns, name string, listeners ...string) string {
	return fmt.Sprintf("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: %s, namespace: %s}\n"+
		"spec: {gatewayClassName: gatebridge, listeners: [%s]}\n", name, ns, strings.Join(listeners, ", "))
}

const httpListener = "{name: http, protocol: HTTP, port: 80}"

func httpsListener(secret string) string {
	return "{name: https, protocol: HTTPS, port: 443, tls: {certificateRefs: [{name: " + secret + "}]}}"
}

func httpRouteYAML(ns, name, gateway, backend string) string {
	return fmt.Sprintf("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: %s, namespace: %s}\n"+
		"spec: {parentRefs: [{name: %s}], hostnames: [%s], rules: [{backendRefs: [{name: %s, port: 80}]}]}\n",
		name, ns, gateway, host(ns, name), backend)
}

// fleetOf returns the fleet whose VirtualServices route host, or "" when none does.
func fleetOf(res *convert.Result, host string) string {
	for _, vs := range res.Snapshot.VirtualServices {
		if slices.Contains(vs.Spec.GetHosts(), host) {
			return vs.Fleet
		}
	}
	return ""
}

// serves reports whether the controller's latest sync routes host on fleet.
func (r *running) serves(host, fleet string) error {
	res, err := r.last()
	if err != nil {
		return err
	}
	if got := fleetOf(res, host); got != fleet {
		return fmt.Errorf("%s served by fleet %q, want %q", host, got, fleet)
	}
	return nil
}

func (e *env) getIngress(ns, name string) (*networkingv1.Ingress, error) {
	return e.cluster.Client.NetworkingV1().Ingresses(ns).Get(e.ctx, name, metav1.GetOptions{})
}

// checkIngressStatus reports whether the Ingress's status holds the controller's address.
func (e *env) checkIngressStatus(ns, name string) error {
	ing, err := e.getIngress(ns, name)
	if err != nil {
		return err
	}
	if lb := ing.Status.LoadBalancer.Ingress; len(lb) != 1 || lb[0].IP != lbAddress {
		return fmt.Errorf("Ingress %s/%s status %+v, want the address %s", ns, name, ing.Status, lbAddress)
	}
	return nil
}

func ingressStatusPath(ns, name string) string {
	return "/apis/networking.k8s.io/v1/namespaces/" + ns + "/ingresses/" + name + "/status"
}

// classCase is an Ingress of the class selection table and the fleet that serves it ("" for none) in
// each scenario: no default class, WatchIngressWithoutClass, a default IngressClass of ours.
type classCase struct {
	name, class, annotations string
	fleets                   [3]string
}

const defaultFleet = "ingress-gatebridge-default"

func (e *env) testIngressClasses(t *testing.T) {
	const ns = "classes"
	e.namespace(t, ns)
	ours := [3]string{ingressFleet, ingressFleet, ingressFleet}
	cases := []classCase{
		{name: "class-ours", class: "gatebridge", fleets: ours},
		{name: "class-other", class: "other"},
		{name: "class-missing", class: "nobody"},
		{name: "annotation-ours", annotations: convert.IngressClassAnnotation + ": gatebridge", fleets: ours},
		{name: "annotation-other", annotations: convert.IngressClassAnnotation + ": other"},
		// Older than the default class: it takes that class when it appears.
		{name: "no-class", fleets: [3]string{"", ingressFleet, defaultFleet}},
	}
	for _, c := range cases {
		e.apply(t, ingressYAML(ns, c.name, c.class, c.annotations, "web"))
	}
	none := func(*testing.T, string) []classCase { return nil }
	scenarios := []struct {
		name  string
		opts  convert.Options
		setup func(*testing.T, string) []classCase // returns the cases it adds
	}{
		{"no default class", convert.Options{}, none},
		{"WatchIngressWithoutClass", convert.Options{WatchIngressWithoutClass: true}, none},
		{"a default class of ours", convert.Options{}, e.addDefaultClass},
	}
	for i, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			r := e.start(t, s.opts)
			defer r.stop()
			cases := append(slices.Clone(cases), s.setup(t, ns)...)
			eventually.Within(t, waitFor, "hosts served by their classes", func() error {
				var errs []error
				for _, c := range cases {
					errs = append(errs, r.serves(host(ns, c.name), c.fleets[i]))
				}
				return errors.Join(errs...)
			})
			// The sync that served them has written status too; the others' is left alone.
			for _, c := range cases {
				if c.fleets[i] != "" {
					if err := e.checkIngressStatus(ns, c.name); err != nil {
						t.Error(err)
					}
					continue
				}
				ing, err := e.getIngress(ns, c.name)
				if err != nil {
					t.Fatal(err)
				}
				if len(ing.Status.LoadBalancer.Ingress) != 0 || slices.Contains(r.writes.Since(0), ingressStatusPath(ns, c.name)) {
					t.Errorf("%s is not ours but its status was written: %+v", c.name, ing.Status)
				}
			}
		})
	}
}

// addDefaultClass adds an IngressClass of ours marked default (removed when the test ends), and an
// Ingress created without a class after it.
func (e *env) addDefaultClass(t *testing.T, ns string) []classCase {
	e.apply(t, `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: gatebridge-default
  annotations: {`+convert.DefaultIngressClassMarker+`: "true"}
spec: {controller: `+convert.DefaultIngressController+`}
`)
	t.Cleanup(func() {
		if err := e.cluster.Client.NetworkingV1().IngressClasses().Delete(e.ctx, "gatebridge-default", metav1.DeleteOptions{}); err != nil {
			t.Error(err)
		}
	})
	e.apply(t, ingressYAML(ns, "created-under-default", "", "", "web"))
	ing, err := e.getIngress(ns, "created-under-default")
	if err != nil {
		t.Fatal(err)
	}
	// The API server's DefaultIngressClass admission names the class in the Ingress itself.
	if c := ing.Spec.IngressClassName; c == nil || *c != "gatebridge-default" {
		t.Errorf("an Ingress created without a class has class %v, want the default gatebridge-default", c)
	}
	return []classCase{{name: "created-under-default", fleets: [3]string{2: defaultFleet}}}
}

// checkConditions reports whether every condition observed generation, Accepted is True and, unless
// want is empty, ResolvedRefs has reason want (and is True exactly when want is ResolvedRefs).
func checkConditions(conds []metav1.Condition, generation int64, want string) error {
	for _, c := range conds {
		if c.ObservedGeneration != generation {
			return fmt.Errorf("condition %s at generation %d, the object at %d", c.Type, c.ObservedGeneration, generation)
		}
	}
	if !apimeta.IsStatusConditionTrue(conds, "Accepted") {
		return fmt.Errorf("not Accepted: %+v", conds)
	}
	if rr := apimeta.FindStatusCondition(conds, "ResolvedRefs"); want != "" &&
		(rr == nil || rr.Reason != want || (rr.Status == metav1.ConditionTrue) != (want == resolved)) {
		return fmt.Errorf("ResolvedRefs %+v, want reason %s", rr, want)
	}
	return nil
}

// checkGateway reports whether a Gateway's status is current and has the listeners of want, each
// with its ResolvedRefs reason.
func (e *env) checkGateway(ns, name string, want map[string]string) error {
	g, err := e.gw.GatewayV1().Gateways(ns).Get(e.ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	errs := []error{checkConditions(g.Status.Conditions, g.Generation, "")}
	if len(g.Status.Listeners) != len(want) {
		errs = append(errs, fmt.Errorf("%d listeners, want %d", len(g.Status.Listeners), len(want)))
	}
	for _, l := range g.Status.Listeners {
		reason, ok := want[string(l.Name)]
		if !ok {
			errs = append(errs, fmt.Errorf("unexpected listener %s", l.Name))
		} else if err := checkConditions(l.Conditions, g.Generation, reason); err != nil {
			errs = append(errs, fmt.Errorf("listener %s: %w", l.Name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("Gateway %s/%s: %w", ns, name, err)
	}
	return nil
}

// checkRoute reports whether an HTTPRoute has one current, Accepted parent status of gatebridge whose
// ResolvedRefs has reason want.
func (e *env) checkRoute(ns, name, want string) error {
	r, err := e.gw.GatewayV1().HTTPRoutes(ns).Get(e.ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if len(r.Status.Parents) != 1 || r.Status.Parents[0].ControllerName != convert.DefaultGatewayController {
		return fmt.Errorf("HTTPRoute %s/%s parents %+v, want one of gatebridge", ns, name, r.Status.Parents)
	}
	if err := checkConditions(r.Status.Parents[0].Conditions, r.Generation, want); err != nil {
		return fmt.Errorf("HTTPRoute %s/%s: %w", ns, name, err)
	}
	return nil
}

func (e *env) testStatus(t *testing.T) {
	const ns = "status"
	e.namespace(t, ns)
	e.apply(t, serviceYAML(ns, "api"), gatewayYAML(ns, "web", httpListener), httpRouteYAML(ns, "shop", "web", "api"),
		ingressYAML(ns, "shop", "gatebridge", "", "api"))
	r := e.start(t, convert.Options{})
	badCert := string(gwapiv1.ListenerReasonInvalidCertificateRef)
	steps := []struct {
		what      string
		manifests []string
		listeners map[string]string
		route     string
	}{
		{"created", nil, map[string]string{"http": resolved}, resolved},
		{"a listener with a missing certificate added", []string{gatewayYAML(ns, "web", httpListener, httpsListener("missing"))},
			map[string]string{"http": resolved, "https": badCert}, resolved},
		{"the route's backend missing", []string{httpRouteYAML(ns, "shop", "web", "missing")},
			map[string]string{"http": resolved, "https": badCert}, string(gwapiv1.RouteReasonBackendNotFound)},
		{"both fixed", []string{gatewayYAML(ns, "web", httpListener), httpRouteYAML(ns, "shop", "web", "api")},
			map[string]string{"http": resolved}, resolved},
	}
	for _, s := range steps {
		e.apply(t, s.manifests...)
		eventually.Within(t, waitFor, s.what, func() error {
			return errors.Join(e.checkGateway(ns, "web", s.listeners), e.checkRoute(ns, "shop", s.route), e.checkIngressStatus(ns, "shop"))
		})
	}
	ingressWrites := 0
	for _, w := range r.writes.Since(0) {
		if w == ingressStatusPath(ns, "shop") {
			ingressWrites++
		}
	}
	if ingressWrites != 1 {
		t.Errorf("the Ingress's status was written %d times, want once: it never changed", ingressWrites)
	}

	// The sync that serves an unrelated Ingress writes its status and nothing else.
	writes := r.writes.Len()
	e.apply(t, ingressYAML(ns, "unrelated", "gatebridge", "", "api"))
	eventually.Within(t, waitFor, "the unrelated Ingress served", func() error { return r.serves(host(ns, "unrelated"), ingressFleet) })
	if got, want := r.writes.Since(writes), []string{ingressStatusPath(ns, "unrelated")}; !slices.Equal(got, want) {
		t.Errorf("status writes %v, want %v", got, want)
	}
}

func (e *env) createSecret(t *testing.T, ns, name string, typ corev1.SecretType, hosts ...string) *pki.Leaf {
	t.Helper()
	ca, err := pki.NewCA("integration")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.IssueNow(hosts...)
	if err != nil {
		t.Fatal(err)
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Type:       typ,
		Data:       map[string][]byte{corev1.TLSCertKey: leaf.CertPEM, corev1.TLSPrivateKeyKey: leaf.KeyPEM},
	}
	if _, err := e.cluster.Client.CoreV1().Secrets(ns).Create(e.ctx, s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return leaf
}

// translate builds the Envoy resources of fleet from a sync's snapshot, as the controller pushed them.
func translate(t *testing.T, res *convert.Result, fleet string) *envoyxds.Resources {
	t.Helper()
	out, err := envoyxds.Translate(&res.Snapshot, fleet, envoyxds.Options{})
	if err != nil {
		t.Fatalf("translate fleet %s: %v", fleet, err)
	}
	return out
}

// tlsServed reports what a sync serves of credential ("namespace/name") on fleet: the hosts of the
// HTTPS servers that name it, the certificate of its material, and whether it is an SDS secret.
func tlsServed(t *testing.T, res *convert.Result, fleet, credential string) (hosts []string, cert []byte, sds bool) {
	t.Helper()
	for _, g := range res.Snapshot.Gateways {
		for _, srv := range g.Spec.GetServers() {
			if g.Fleet == fleet && srv.GetTls().GetCredentialName() == credential {
				hosts = append(hosts, srv.GetHosts()...)
			}
		}
	}
	for _, m := range res.Snapshot.Secrets {
		if m.Name == credential {
			cert = m.Cert
		}
	}
	for _, s := range translate(t, res, fleet).Secrets {
		sds = sds || s.Name == credential
	}
	return hosts, cert, sds
}

// notOverHTTPS reports whether the Ingress ns/name, whose Secret is name-cert, is served without TLS
// and with a note that its Secret was not found.
func notOverHTTPS(t *testing.T, res *convert.Result, ns, name string) error {
	if hosts, cert, sds := tlsServed(t, res, ingressFleet, ns+"/"+name+"-cert"); len(hosts) > 0 || cert != nil || sds {
		return fmt.Errorf("%s served over HTTPS without its TLS Secret: hosts %v, material %t, SDS %t", name, hosts, cert != nil, sds)
	}
	ref := convert.ObjectRef{Kind: "Ingress", Namespace: ns, Name: name}
	if !slices.ContainsFunc(res.Notes, func(n convert.Note) bool { return n.Object == ref && n.Reason == convert.ReasonSecretNotFound }) {
		return fmt.Errorf("no note %s about %s: %v", convert.ReasonSecretNotFound, ref, res.Notes)
	}
	return nil
}

func (e *env) testLateSecret(t *testing.T) {
	const ns = "tls"
	e.namespace(t, ns)
	// A valid pair in an Opaque Secret: only its type keeps it out of the controller's cache.
	e.createSecret(t, ns, "opaque-cert", corev1.SecretTypeOpaque, host(ns, "opaque"))
	e.apply(t, serviceYAML(ns, "web"), tlsIngressYAML(ns, "secure", "web", "secure-cert"), tlsIngressYAML(ns, "opaque", "web", "opaque-cert"))
	r := e.start(t, convert.Options{})
	eventually.Within(t, waitFor, "both hosts served over HTTP", func() error {
		return errors.Join(r.serves(host(ns, "secure"), ingressFleet), r.serves(host(ns, "opaque"), ingressFleet))
	})
	res, _ := r.last()
	for _, name := range []string{"secure", "opaque"} {
		if err := notOverHTTPS(t, res, ns, name); err != nil {
			t.Error(err)
		}
	}
	version := r.Server.Version(ingressFleet)

	secure := e.createSecret(t, ns, "secure-cert", corev1.SecretTypeTLS, host(ns, "secure"))
	eventually.Within(t, waitFor, "the HTTPS server of the new Secret", func() error {
		res, err := r.last()
		if err != nil {
			return err
		}
		hosts, cert, sds := tlsServed(t, res, ingressFleet, ns+"/secure-cert")
		if !slices.Equal(hosts, []string{host(ns, "secure")}) || !bytes.Equal(cert, secure.CertPEM) || !sds {
			return fmt.Errorf("HTTPS hosts %v, material %t, SDS %t", hosts, cert != nil, sds)
		}
		if notOverHTTPS(t, res, ns, "secure") == nil {
			return errors.New("the note about the missing Secret is still there")
		}
		return notOverHTTPS(t, res, ns, "opaque")
	})
	if r.Server.Version(ingressFleet) == version {
		t.Errorf("fleet %s still at version %s: the new material was not pushed", ingressFleet, version)
	}
}

// testExpiry serves a certificate that expires a few seconds later: no object changes then, so only the
// controller's own wake-up at the expiry can take the HTTPS server away (and say why).
func (e *env) testExpiry(t *testing.T) {
	const ns = "expiry"
	e.namespace(t, ns)
	ca, err := pki.NewCA("expiry")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue([]string{host(ns, "brief")}, time.Now().Add(-time.Minute), time.Now().Add(4*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "brief-cert", Namespace: ns}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: leaf.CertPEM, corev1.TLSPrivateKeyKey: leaf.KeyPEM},
	}
	if _, err := e.cluster.Client.CoreV1().Secrets(ns).Create(e.ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.apply(t, serviceYAML(ns, "web"), tlsIngressYAML(ns, "brief", "web", "brief-cert"))
	r := e.start(t, convert.Options{})
	eventually.Within(t, waitFor, "served over HTTPS while valid", func() error {
		res, err := r.last()
		if err != nil {
			return err
		}
		if hosts, _, sds := tlsServed(t, res, ingressFleet, ns+"/brief-cert"); len(hosts) != 1 || !sds {
			return fmt.Errorf("HTTPS hosts %v, SDS %t", hosts, sds)
		}
		return nil
	})
	eventually.Within(t, waitFor, "dropped once expired", func() error {
		res, err := r.last()
		if err != nil {
			return err
		}
		if hosts, cert, sds := tlsServed(t, res, ingressFleet, ns+"/brief-cert"); len(hosts) > 0 || cert != nil || sds {
			return fmt.Errorf("still served over HTTPS: hosts %v, material %t, SDS %t", hosts, cert != nil, sds)
		}
		ref := convert.ObjectRef{Kind: "Ingress", Namespace: ns, Name: "brief"}
		if !slices.ContainsFunc(res.Notes, func(n convert.Note) bool {
			return n.Object == ref && n.Reason == convert.ReasonInvalidSecret && strings.Contains(n.Message, "expired")
		}) {
			return fmt.Errorf("no note that the certificate expired: %v", res.Notes)
		}
		return nil
	})
}

// endpointSliceYAML is an EndpointSlice of Service api on port 8080 ("http"); an address ending in
// "!" is not ready.
func endpointSliceYAML(ns, name string, addresses ...string) string {
	eps := make([]string, 0, len(addresses))
	for _, a := range addresses {
		ip, notReady := strings.CutSuffix(a, "!")
		eps = append(eps, fmt.Sprintf(`{addresses: ["%s"], conditions: {ready: %t}}`, ip, !notReady))
	}
	return fmt.Sprintf("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"+
		"metadata: {name: %s, namespace: %s, labels: {kubernetes.io/service-name: api}}\n"+
		"addressType: IPv4\nports: [{name: http, port: 8080, protocol: TCP}]\nendpoints: [%s]\n", name, ns, strings.Join(eps, ", "))
}

// servedEndpoints returns the endpoints of port 80 of Service ns/api in the latest sync's model and in
// the Ingress fleet's EDS resource.
func (r *running) servedEndpoints(t *testing.T, ns string) (model, eds []string, err error) {
	res, err := r.last()
	if err != nil {
		return nil, nil, err
	}
	for _, svc := range res.Snapshot.Services {
		for _, p := range svc.Ports {
			for _, ep := range p.Endpoints {
				if svc.Namespace == ns && svc.Name == "api" && p.Number == 80 {
					model = append(model, net.JoinHostPort(ep.Address, fmt.Sprint(ep.Port)))
				}
			}
		}
	}
	for _, cla := range translate(t, res, ingressFleet).Endpoints {
		for _, le := range cla.Endpoints {
			for _, lb := range le.LbEndpoints {
				if sa := lb.GetEndpoint().GetAddress().GetSocketAddress(); cla.ClusterName == "outbound|80||api."+ns+".svc.cluster.local" {
					eds = append(eds, net.JoinHostPort(sa.GetAddress(), fmt.Sprint(sa.GetPortValue())))
				}
			}
		}
	}
	slices.Sort(model)
	slices.Sort(eds)
	return model, eds, nil
}

func (e *env) testEndpoints(t *testing.T) {
	const ns = "endpoints"
	e.namespace(t, ns)
	e.apply(t, serviceYAML(ns, "api"), ingressYAML(ns, "shop", "gatebridge", "", "api"),
		endpointSliceYAML(ns, "api-a", "10.244.1.1", "10.244.1.2"))
	r := e.start(t, convert.Options{})
	applySlice := func(name string, addresses ...string) func() {
		return func() { e.apply(t, endpointSliceYAML(ns, name, addresses...)) }
	}
	deleteSlice := func(name string) func() {
		return func() {
			if err := e.cluster.Client.DiscoveryV1().EndpointSlices(ns).Delete(e.ctx, name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	steps := []struct {
		what   string
		change func()
		want   []string
	}{
		{"created", func() {}, []string{"10.244.1.1:8080", "10.244.1.2:8080"}},
		{"an address added", applySlice("api-a", "10.244.1.1", "10.244.1.2", "10.244.1.3"),
			[]string{"10.244.1.1:8080", "10.244.1.2:8080", "10.244.1.3:8080"}},
		{"one not ready", applySlice("api-a", "10.244.1.1!", "10.244.1.2", "10.244.1.3"), []string{"10.244.1.2:8080", "10.244.1.3:8080"}},
		{"one removed", applySlice("api-a", "10.244.1.1!", "10.244.1.3"), []string{"10.244.1.3:8080"}},
		{"a second slice", applySlice("api-b", "10.244.2.1"), []string{"10.244.1.3:8080", "10.244.2.1:8080"}},
		{"the first slice deleted", deleteSlice("api-a"), []string{"10.244.2.1:8080"}},
		{"the last slice deleted", deleteSlice("api-b"), nil},
	}
	for _, s := range steps {
		s.change()
		eventually.Within(t, waitFor, s.what, func() error {
			model, eds, err := r.servedEndpoints(t, ns)
			if err == nil && (!slices.Equal(model, s.want) || !slices.Equal(eds, s.want)) {
				err = fmt.Errorf("endpoints %v in the model and %v over EDS, want %v", model, eds, s.want)
			}
			return err
		})
	}
}

// resources translates every fleet of a sync's snapshot.
func resources(t *testing.T, res *convert.Result) map[string]*envoyxds.Resources {
	out := map[string]*envoyxds.Resources{}
	for _, fleet := range res.Snapshot.Fleets() {
		out[fleet] = translate(t, res, fleet)
	}
	return out
}

func (e *env) testRestart(t *testing.T) {
	const ns = "restart"
	e.namespace(t, ns)
	e.createSecret(t, ns, "cert", corev1.SecretTypeTLS, host(ns, "shop"), host(ns, "route"))
	e.apply(t, serviceYAML(ns, "api"), endpointSliceYAML(ns, "api-a", "10.244.3.1", "10.244.3.2!"),
		gatewayYAML(ns, "edge", httpListener, httpsListener("cert")), httpRouteYAML(ns, "route", "edge", "api"),
		tlsIngressYAML(ns, "shop", "api", "cert"))

	a := e.start(t, convert.Options{})
	eventually.Within(t, waitFor, "controller A's status", func() error {
		return errors.Join(e.checkGateway(ns, "edge", map[string]string{"http": resolved, "https": resolved}),
			e.checkRoute(ns, "route", resolved), e.checkIngressStatus(ns, "shop"))
	})
	a.stop()
	resA, _ := a.last()
	if hosts, _, sds := tlsServed(t, resA, ingressFleet, ns+"/cert"); len(hosts) != 1 || !sds {
		t.Fatalf("controller A does not serve the Ingress over HTTPS: hosts %v, SDS %t", hosts, sds)
	}
	servedA := a.Server.Status() // by fleet: the version served, the last update's error
	if len(servedA) < 3 || slices.ContainsFunc(servedA, func(f envoyxds.FleetStatus) bool { return f.Error != "" }) {
		t.Errorf("A serves %+v, want the Ingress fleet and two Gateways' at least, all without error", servedA)
	}

	b := e.start(t, convert.Options{})
	resB, _ := b.last()
	if diff := cmp.Diff(resources(t, resA), resources(t, resB), protocmp.Transform()); diff != "" {
		t.Errorf("Envoy resources after the restart (-A +B):\n%s", diff)
	}
	if diff := cmp.Diff(servedA, b.Server.Status()); diff != "" {
		t.Errorf("versions served after the restart (-A +B):\n%s", diff)
	}
	if w := b.writes.Since(0); len(w) > 0 {
		t.Errorf("controller B's first sync wrote status: %v", w)
	}
}
