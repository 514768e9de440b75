package e2e

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/internal/cmtest"
	"github.com/gatebridge/gatebridge/internal/kubetest"
)

// solverLabel marks the HTTP-01 solver pods cert-manager creates.
const solverLabel = "acme.cert-manager.io/http01-solver=true"

// solverPort is the port cert-manager's solver pods listen on (their --listen-port).
const solverPort = 8089

// acmeCase is one way of asking cert-manager for a certificate from Pebble for host, in Secret
// shop/<secret>: an Issuer whose HTTP-01 solver (a YAML flow map) makes a route of one kind, and the
// user's objects that gatebridge serves through the Envoy of fleet, routing / of host to Service app.
// httpsRedirect says that, once the certificate is served, plain HTTP to the user's route is redirected
// to HTTPS (ingress-nginx's ssl-redirect, on by default for an Ingress's TLS hosts).
type acmeCase struct {
	issuer, solver   string
	host, secret     string
	fleet, manifests string
	httpsRedirect    bool
}

var acmeIngress = acmeCase{
	issuer: "pebble-ingress", solver: "{ingress: {ingressClassName: gatebridge}}",
	host: "ingress.example.com", secret: "ingress-tls", fleet: "ingress-gatebridge", httpsRedirect: true,
	manifests: tlsIngress("shop", "ingress.example.com", "app", "ingress-tls", "{cert-manager.io/cluster-issuer: pebble-ingress}"),
}

var acmeGateway = acmeCase{
	issuer: "pebble-gateway",
	solver: "{gatewayHTTPRoute: {parentRefs: [{name: web, namespace: shop, kind: Gateway}]}}",
	host:   "gateway.example.com", secret: "gateway-tls", fleet: "gateway-shop-web",
	manifests: `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: shop, annotations: {cert-manager.io/cluster-issuer: pebble-gateway}}
spec:
  gatewayClassName: gatebridge
  listeners:
  - {name: http, protocol: HTTP, port: 80}
  - {name: https, protocol: HTTPS, port: 443, hostname: gateway.example.com, tls: {certificateRefs: [{name: gateway-tls}]}}
---
` + httpRoute("shop", "web", "gateway.example.com", "app"),
}

// TestCertManagerACMEIngress issues a certificate from an ACME server (Pebble) through gatebridge:
// cert-manager creates its HTTP-01 solver Ingress, gatebridge routes the challenge path on port 80 of a
// real Envoy to the solver pod (ahead of the user's own route for /), cert-manager's self-check and
// Pebble's validation both get the key through it, and the issued certificate is then served over HTTPS.
func TestCertManagerACMEIngress(t *testing.T) { testACME(t, acmeIngress) }

// TestCertManagerACMEGateway is TestCertManagerACMEIngress with the solver's HTTPRoute on an annotated
// Gateway, whose HTTPS listener the gateway-shim asked the certificate for.
func TestCertManagerACMEGateway(t *testing.T) { testACME(t, acmeGateway) }

// testACME runs c in a private network namespace: ACME validates on port 80, and the solver pod needs
// a pod address for its EndpointSlice. cert-manager's own pacing (a self-check retried after 10 s, then
// five checks 2 s apart) makes most of its 20 to 30 s.
func testACME(t *testing.T, c acmeCase) {
	if os.Getenv(netnsEnv) == "" {
		runInNetworkNamespace(t)
		return
	}
	setUpPodNetwork(t)
	startACMEStack(t).issueThrough(t, c)
}

// acmeStack is a control plane, Pebble, cert-manager, gatebridge's controller and the solver pods'
// kubelet; the Envoy comes with the case.
type acmeStack struct {
	ctx     context.Context
	cluster *kubetest.Cluster
	cm      *cmtest.CertManager
	pebble  *cmtest.Pebble
	solvers *solverKubelet
	xds     string
}

func startACMEStack(t *testing.T) *acmeStack {
	t.Helper()
	// cert-manager's solver pods need the namespace's default ServiceAccount.
	ctx, cluster, gw := startCluster(t, kubetest.Options{ControllerManager: true}, ingressClass+"---\n"+gatewayClass+
		"---\napiVersion: v1\nkind: Node\nmetadata: {name: node-1}\n---\n"+service("shop", "app", startBackend(t, "app").addr))
	pebble := cmtest.StartPebble(t, cmtest.PebbleOptions{})
	cm := cmtest.Start(t, cluster, cmtest.Options{GatewayAPI: true, ACMENameservers: []string{pebble.DNS}})
	solvers := &solverKubelet{cluster: cluster, namespace: "shop", node: "node-1", seen: map[string]bool{}}
	go solvers.run(ctx, t)
	_, xds := serveController(t, cluster, gw, bridge.ControllerOptions{Envoy: acmeHarness(t).envoyOptions()})
	return &acmeStack{ctx: ctx, cluster: cluster, cm: cm, pebble: pebble, solvers: solvers, xds: xds}
}

// acmeHarness is a harness whose Envoy binds ports 80 and 443 themselves: Pebble and cert-manager's
// self-check both validate on port 80.
func acmeHarness(t *testing.T) *harness {
	h := newHarness(t)
	h.ports[80], h.ports[443] = 80, 443
	return h
}

// issueThrough runs one case with its Envoy.
func (s *acmeStack) issueThrough(t *testing.T, c acmeCase) {
	start := time.Now()
	if _, err := s.cluster.Apply(s.ctx, cmtest.ACMEClusterIssuer(c.issuer, s.pebble, c.solver)); err != nil {
		t.Fatal(err)
	}
	if err := s.cm.WaitClusterIssuer(s.ctx, c.issuer); err != nil {
		t.Fatal(err)
	}
	h := acmeHarness(t)
	h.startEnvoy(c.fleet, s.xds)
	if _, err := s.cluster.Apply(s.ctx, []byte(c.manifests)); err != nil {
		t.Fatal(err)
	}
	// About 20 s of cert-manager's pacing; a challenge that never reaches the solver fails sooner than
	// the whole test's deadline.
	issueCtx, cancel := context.WithTimeout(s.ctx, time.Minute)
	defer cancel()
	if _, err := s.cm.WaitCertificate(issueCtx, "shop", c.secret, 1); err != nil {
		t.Fatalf("%v; the solver answered %q", err, s.solvers.requests())
	}
	t.Logf("issued after %v", time.Since(start).Round(time.Millisecond))
	if !s.solvers.answered("Pebble", c.host) {
		t.Errorf("Pebble's validation of %s never reached the solver through Envoy; the solver answered %q", c.host, s.solvers.requests())
	}
	leaf, err := s.cm.Leaf(s.ctx, "shop", c.secret)
	if err != nil {
		t.Fatal(err)
	}
	roots, err := s.pebble.Roots(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "HTTPS with the certificate from Pebble", func() error { return servesFrom(h, c.host, "app", roots, leaf) })
	if !c.httpsRedirect {
		if err := h.answers(c.host, "/", "app"); err != nil {
			t.Errorf("plain HTTP of the user's route: %v", err)
		}
		return
	}
	code, hdr, _, err := h.get(c.host, "/page?q=1", nil)
	if want := "https://" + c.host + "/page?q=1"; err != nil || code != http.StatusPermanentRedirect || hdr.Get("Location") != want {
		t.Errorf("plain HTTP of the user's route: %d to %q (%v), want 308 to %s", code, hdr.Get("Location"), err, want)
	}
}

// servesFrom reports whether a GET over TLS with SNI host answers 200 from backend, the server
// presenting leaf, which chains to roots.
func servesFrom(h *harness, host, backend string, roots *x509.CertPool, leaf *x509.Certificate) error {
	code, e, serial, err := h.getTLS(host, "/", roots)
	switch {
	case err != nil:
		return fmt.Errorf("GET https://%s/: %w", host, err)
	case serial.Cmp(leaf.SerialNumber) != 0:
		return fmt.Errorf("GET https://%s/: certificate serial %x, want %x", host, serial, leaf.SerialNumber)
	case code != 200 || e.Backend != backend:
		return fmt.Errorf("GET https://%s/: %d from %q, want 200 from %q", host, code, e.Backend, backend)
	}
	return nil
}

// solverKubelet plays the scheduler and the kubelet for cert-manager's HTTP-01 solver pods: it binds
// each to the node, runs what the pod's container would (an HTTP server on the pod's address answering
// the challenge token's path with the key, from the pod's arguments) and reports it ready, so that the
// endpointslice controller gives its Service an endpoint.
type solverKubelet struct {
	cluster   *kubetest.Cluster
	namespace string
	node      string

	mu   sync.Mutex
	seen map[string]bool // pods started
	log  []string        // "user agent: host path" of each request answered
}

func (k *solverKubelet) run(ctx context.Context, t *testing.T) {
	for next := 1; ; {
		list, err := k.cluster.Client.CoreV1().Pods(k.namespace).List(ctx, metav1.ListOptions{LabelSelector: solverLabel})
		for _, pod := range list.Items {
			if err != nil || k.seen[pod.Name] || pod.DeletionTimestamp != nil {
				continue
			}
			ip := fmt.Sprintf("10.244.3.%d", next)
			next++
			if err := k.start(ctx, t, &pod, ip); err != nil {
				t.Errorf("solver pod %s: %v", pod.Name, err)
			}
			k.mu.Lock()
			k.seen[pod.Name] = true
			k.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// start serves the pod's challenge on ip, binds the pod to the node and reports it running and ready.
func (k *solverKubelet) start(ctx context.Context, t *testing.T, pod *corev1.Pod, ip string) error {
	args := map[string]string{}
	for _, c := range pod.Spec.Containers {
		for _, a := range c.Args {
			if name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "="); ok {
				args[name] = value
			}
		}
	}
	if args["token"] == "" || args["key"] == "" || args["listen-port"] != fmt.Sprint(solverPort) {
		return fmt.Errorf("unexpected solver arguments %v", args)
	}
	if err := k.serve(t, net.JoinHostPort(ip, fmt.Sprint(solverPort)), args["token"], args["key"]); err != nil {
		return err
	}
	pods := k.cluster.Client.CoreV1().Pods(k.namespace)
	binding := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: pod.Name}, Target: corev1.ObjectReference{Kind: "Node", Name: k.node}}
	if err := pods.Bind(ctx, binding, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("bind to %s: %w", k.node, err)
	}
	bound, err := pods.Get(ctx, pod.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	bound.Status = corev1.PodStatus{
		Phase:  corev1.PodRunning,
		PodIP:  ip,
		PodIPs: []corev1.PodIP{{IP: ip}},
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: corev1.ConditionTrue},
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue},
		},
	}
	if _, err := pods.UpdateStatus(ctx, bound, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("report running: %w", err)
	}
	return nil
}

// serve answers the challenge path of token with key on addr, as cert-manager's acmesolver does, until
// the test ends.
func (k *solverKubelet) serve(t *testing.T, addr, token, key string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/acme-challenge/"+token, func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host) // Pebble sends the port, cert-manager does not
		if err != nil {
			host = r.Host
		}
		k.mu.Lock()
		k.log = append(k.log, time.Now().Format("15:04:05.000")+" "+r.UserAgent()+": "+host+r.URL.Path)
		k.mu.Unlock()
		fmt.Fprint(w, key)
	})
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return nil
}

func (k *solverKubelet) requests() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.log...)
}

// answered reports whether a request for host whose user agent contains agent got the key.
func (k *solverKubelet) answered(agent, host string) bool {
	for _, r := range k.requests() {
		ua, path, _ := strings.Cut(r, ": ")
		if strings.Contains(strings.ToLower(ua), strings.ToLower(agent)) && strings.HasPrefix(path, host+"/") {
			return true
		}
	}
	return false
}
