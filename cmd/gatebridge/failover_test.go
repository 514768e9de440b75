package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gatebridge/gatebridge/internal/childproc"
	"github.com/gatebridge/gatebridge/internal/eventually"
	"github.com/gatebridge/gatebridge/internal/kubetest"
	gatewayapicrds "github.com/gatebridge/gatebridge/manifests/crds/gateway-api"
)

// runMainEnv makes the test binary run gatebridge's main instead of the tests: the failover test
// starts controller processes that way, without building another binary.
const runMainEnv = "GATEBRIDGE_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) != "" {
		main()
	}
	os.Exit(m.Run())
}

const failoverManifests = `apiVersion: v1
kind: Namespace
metadata: {name: gatebridge-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gatebridge}
spec: {controllerName: gatebridge.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: shop}
spec:
  gatewayClassName: gatebridge
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {ports: [{name: http, port: 80}]}
`

func routeManifest(name string) string {
	return fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: %s, namespace: shop}
spec:
  parentRefs: [{name: web}]
  hostnames: [%s.example.com]
  rules: [{backendRefs: [{name: api, port: 80}]}]
`, name, name)
}

// TestLeaderFailover runs two controller processes against a real API server: both serve (ready), only
// the Lease holder writes status, and when the leader dies without releasing the Lease the other takes
// over and writes status for changes made after.
func TestLeaderFailover(t *testing.T) {
	cluster := kubetest.Start(t, kubetest.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	crds, err := gatewayapicrds.Bundle(gatewayapicrds.Standard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.Apply(ctx, append(crds, "---\n"+failoverManifests+"---\n"+routeManifest("first")...)); err != nil {
		t.Fatal(err)
	}
	gw, err := gwclient.NewForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	a := startReplica(t, cluster.Kubeconfig, "replica-a")
	waitFor(t, "replica-a leads", func() error { return leaseHeldBy(ctx, cluster, "replica-a") })
	b := startReplica(t, cluster.Kubeconfig, "replica-b")

	t.Run("both serve, only the leader writes", func(t *testing.T) {
		waitFor(t, "status of the first route", func() error { return routeAccepted(ctx, gw, "first") })
		for _, r := range []*replica{a, b} {
			waitFor(t, r.name+" ready", func() error { return r.get("/readyz") })
		}
		waitFor(t, "leader gauges", func() error {
			if err := a.metric("gatebridge_leader", 1); err != nil {
				return err
			}
			return b.metric("gatebridge_leader", 0)
		})
		if err := b.metric("gatebridge_status_writes_total", 0); err != nil {
			t.Errorf("the follower wrote status: %v", err)
		}
	})

	t.Run("the follower takes over from a dead leader", func(t *testing.T) {
		a.kill()
		waitFor(t, "replica-b leads", func() error { return leaseHeldBy(ctx, cluster, "replica-b") })
		if _, err := cluster.Apply(ctx, []byte(routeManifest("second"))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "status of a route made after the failover", func() error { return routeAccepted(ctx, gw, "second") })
		if err := b.metric("gatebridge_leader", 1); err != nil {
			t.Error(err)
		}
	})
}

// replica is one controller process.
type replica struct {
	name    string
	proc    *childproc.Process
	metrics string // base URL of /metrics, /healthz, /readyz
}

// startReplica runs `gatebridge controller` with leader election (short Lease times) in a process of
// its own; the test stops it at the end.
func startReplica(t *testing.T, kubeconfig, name string) *replica {
	t.Helper()
	ports, err := childproc.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	xds, metrics := fmt.Sprint(ports[0]), fmt.Sprint(ports[1])
	r := &replica{name: name, metrics: "http://127.0.0.1:" + metrics}
	args := []string{"controller", "--kubeconfig", kubeconfig,
		"--xds", "127.0.0.1:" + xds, "--metrics-address", "127.0.0.1:" + metrics, "--debug-address", "",
		"--leader-elect", "--leader-election-namespace", "gatebridge-system", "--leader-election-identity", name,
		"--leader-election-lease-duration", "3s", "--leader-election-renew-deadline", "2s", "--leader-election-retry-period", "500ms"}
	r.proc, err = childproc.Start(name, os.Args[0], args, []string{runMainEnv + "=1"}, filepath.Join(t.TempDir(), name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.proc.Stop(10 * time.Second)
		if t.Failed() {
			t.Logf("log of %s:\n%s", name, r.proc.LogTail(8<<10))
		}
	})
	return r
}

// kill ends the process at once: it cannot release its Lease.
func (r *replica) kill() { r.proc.Stop(0) }

func (r *replica) get(path string) error {
	resp, err := http.Get(r.metrics + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", r.name, path, resp.Status)
	}
	return nil
}

// metric reports whether the replica's metric (without labels) has the value want.
func (r *replica) metric(name string, want float64) error {
	resp, err := http.Get(r.metrics + "/metrics")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		value, ok := strings.CutPrefix(sc.Text(), name+" ")
		if !ok {
			continue
		}
		got, err := strconv.ParseFloat(value, 64)
		if err != nil || got != want {
			return fmt.Errorf("%s: %s = %s, want %v", r.name, name, value, want)
		}
		return nil
	}
	return fmt.Errorf("%s: no metric %s", r.name, name)
}

func leaseHeldBy(ctx context.Context, cluster *kubetest.Cluster, identity string) error {
	l, err := cluster.Client.CoordinationV1().Leases("gatebridge-system").Get(ctx, "gatebridge", metav1.GetOptions{})
	if err != nil {
		return err
	}
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != identity {
		return fmt.Errorf("lease held by %v, want %s", l.Spec.HolderIdentity, identity)
	}
	return nil
}

func routeAccepted(ctx context.Context, gw gwclient.Interface, name string) error {
	r, err := gw.GatewayV1().HTTPRoutes("shop").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if len(r.Status.Parents) != 1 || !apimeta.IsStatusConditionTrue(r.Status.Parents[0].Conditions, "Accepted") {
		return fmt.Errorf("HTTPRoute %s status %+v, want one Accepted parent", name, r.Status)
	}
	return nil
}

func waitFor(t *testing.T, what string, check func() error) {
	t.Helper()
	eventually.Within(t, 30*time.Second, what, check)
}
