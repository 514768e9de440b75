package e2e

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/internal/kubetest"
)

// netnsEnv marks the run of the test binary inside its private network namespace.
const netnsEnv = "GATEBRIDGE_E2E_NETNS"

// podNetwork is the pod address range: inside the namespace every address of it is local.
const podNetwork = "10.244.0.0/16"

// podPort is the port every pod's backend listens on (the Service's targetPort).
const podPort = 8080

// unshareArgs make a private network namespace in which the test's user is root (to set up lo).
var unshareArgs = []string{"--net", "--map-root-user", "--kill-child"}

// podManifests are the objects of the pods' world: the Node they run on and a Service selecting them.
// The Service has no gatebridge.dev/endpoints annotation: its EndpointSlices come from the real
// endpointslice controller.
var podManifests = `apiVersion: v1
kind: Node
metadata: {name: node-1}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: ` + fmt.Sprint(podPort) + `}]
`

// TestControllerInNetworkNamespace runs gatebridge as a controller with backends on pod addresses:
// the API server refuses loopback endpoints, so the test binary runs this test again inside a private
// network namespace where the pod range is local, and reports what that run reports.
func TestControllerInNetworkNamespace(t *testing.T) {
	if os.Getenv(netnsEnv) == "" {
		runInNetworkNamespace(t)
		return
	}
	setUpPodNetwork(t)
	testPodsBehindServices(t)
}

// runInNetworkNamespace runs the current test in a new network namespace, logging its output.
func runInNetworkNamespace(t *testing.T) {
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skipf("no unshare command to make a private network namespace: %v", err)
	}
	if out, err := exec.Command(unshare, append(unshareArgs, "true")...).CombinedOutput(); err != nil {
		t.Skipf("private network namespaces are not permitted here: unshare %s true: %v: %s",
			strings.Join(unshareArgs, " "), err, bytes.TrimSpace(out))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	args := append(slices.Clone(unshareArgs), os.Args[0], "-test.run", "^"+t.Name()+"$", "-test.v", "-test.timeout", "150s")
	cmd := exec.CommandContext(ctx, unshare, args...)
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	out := &lineLog{t: t}
	cmd.Stdout, cmd.Stderr = out, out
	// A process left holding the output must not keep the test waiting.
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Run()
	out.flush()
	if err != nil {
		t.Fatalf("the run in the network namespace failed: %v", err)
	}
}

// lineLog logs each line written to it in the test.
type lineLog struct {
	t   *testing.T
	mu  sync.Mutex
	buf []byte
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.t.Log("netns: " + string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
}

func (l *lineLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.t.Log("netns: " + string(l.buf))
		l.buf = nil
	}
}

// setUpPodNetwork brings lo up and makes the pod range and the Gateway address pool local. It first checks that the network is
// private (lo alone): the same commands run by mistake in a real network would change its routing.
func setUpPodNetwork(t *testing.T) {
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatalf("list network interfaces: %v", err)
	}
	if len(ifaces) != 1 || ifaces[0].Name != "lo" {
		t.Fatalf("%s is set but the network namespace is not a new one (interfaces %v)", netnsEnv, ifaces)
	}
	for _, args := range [][]string{{"link", "set", "lo", "up"}, {"route", "add", "local", podNetwork, "dev", "lo"}, {"route", "add", "local", gatewayPool, "dev", "lo"}} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
	}
}

// testPodsBehindServices serves an Ingress and an HTTPRoute whose Service selects pods on pod
// addresses, and follows the pods as they go and come.
func testPodsBehindServices(t *testing.T) {
	ctx, cluster, gw := startCluster(t, kubetest.Options{ControllerManager: true}, controllerManifests+"---\n"+podManifests)
	pods := &kubelet{cluster: cluster, namespace: "shop", node: "node-1"}
	pods.run(ctx, t, "api-1", "10.244.1.1")
	pods.run(ctx, t, "api-2", "10.244.1.2")
	f := startControllerFleets(t, cluster, gw)
	fleets := map[string]*harness{"route.example.com": f.gateway, "ingress.example.com": f.ingress}

	t.Run("the Ingress and the HTTPRoute reach both pods", func(t *testing.T) {
		eventually(t, "endpointslice", func() error { return sliceAddresses(ctx, cluster, "10.244.1.1", "10.244.1.2") })
		for host, h := range fleets {
			eventually(t, host, func() error { return servedBy(h, host, "api-1", "api-2") })
		}
	})

	t.Run("a deleted pod gets no more traffic", func(t *testing.T) {
		pods.delete(ctx, t, "api-1")
		eventually(t, "endpointslice", func() error { return sliceAddresses(ctx, cluster, "10.244.1.2") })
		// api-1 still listens: only the shrunk EndpointSlice keeps traffic from it.
		for host, h := range fleets {
			eventually(t, host, func() error { return servedBy(h, host, "api-2") })
		}
	})

	t.Run("a new pod gets traffic", func(t *testing.T) {
		pods.run(ctx, t, "api-3", "10.244.1.3")
		for host, h := range fleets {
			eventually(t, host, func() error { return servedBy(h, host, "api-2", "api-3") })
		}
	})
}

// kubelet plays the kubelet of one Node: it reports pods running and ready with their IP, and runs
// each pod's process, a backend named after the pod on its IP.
type kubelet struct {
	cluster   *kubetest.Cluster
	namespace string
	node      string
}

// run creates a pod of the Service api on the node, starts its backend and reports it ready.
func (k *kubelet) run(ctx context.Context, t *testing.T, name, ip string) {
	t.Helper()
	startBackendAt(t, name, net.JoinHostPort(ip, fmt.Sprint(podPort)))
	pods := k.cluster.Client.CoreV1().Pods(k.namespace)
	pod, err := pods.Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "api"}},
		Spec: corev1.PodSpec{
			NodeName:   k.node,
			Containers: []corev1.Container{{Name: "api", Image: "api", Ports: []corev1.ContainerPort{{ContainerPort: podPort}}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
	pod.Status = corev1.PodStatus{
		Phase:      corev1.PodRunning,
		PodIP:      ip,
		PodIPs:     []corev1.PodIP{{IP: ip}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
	}
	if _, err := pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("report pod %s ready: %v", name, err)
	}
}

// delete deletes a pod at once, as a kubelet would after its containers stopped. Its backend keeps
// listening.
func (k *kubelet) delete(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	now := int64(0)
	err := k.cluster.Client.CoreV1().Pods(k.namespace).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &now})
	if err != nil {
		t.Fatalf("delete pod %s: %v", name, err)
	}
}

// sliceAddresses reports whether the ready endpoints of the Service shop/api are want (sorted), in
// EndpointSlices the endpointslice controller manages.
func sliceAddresses(ctx context.Context, cluster *kubetest.Cluster, want ...string) error {
	list, err := cluster.Client.DiscoveryV1().EndpointSlices("shop").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=api"})
	if err != nil {
		return fmt.Errorf("list endpointslices of shop/api: %w", err)
	}
	var got []string
	for _, s := range list.Items {
		if by := s.Labels[discoveryv1.LabelManagedBy]; by != "endpointslice-controller.k8s.io" {
			return fmt.Errorf("endpointslice %s is managed by %q, want the endpointslice controller", s.Name, by)
		}
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready != nil && *ep.Conditions.Ready {
				got = append(got, ep.Addresses...)
			}
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		return fmt.Errorf("ready endpoints of shop/api %v, want %v", got, want)
	}
	return nil
}

// servedBy reports whether requests for host through h all answer 200 and reach exactly the backends
// want (sorted): round robin sends two requests to each in turn.
func servedBy(h *harness, host string, want ...string) error {
	seen := map[string]int{}
	for range 2 * len(want) {
		code, _, e, err := h.get(host, "/", nil)
		if err != nil || code != 200 {
			return fmt.Errorf("GET %s: %d (%v), want 200", host, code, err)
		}
		seen[e.Backend]++
	}
	if got := slices.Sorted(maps.Keys(seen)); !slices.Equal(got, want) {
		return fmt.Errorf("GET %s answered from %v, want from each of %v", host, seen, want)
	}
	return nil
}
