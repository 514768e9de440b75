package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gatebridge/gatebridge/internal/bench"
	"github.com/gatebridge/gatebridge/internal/kubetest"
)

// BenchmarkApplyToAnswer measures the time from the server-side apply of a new route (the request
// `kubectl apply --server-side` sends) to its host answering through a real Envoy, with gatebridge as
// the controller of a real kube-apiserver: the watch event, the debounce, translation, the xDS push and
// Envoy's update. Each iteration applies one more route; ns/op is the mean, and p50-ms, p90-ms and
// max-ms the distribution.
func BenchmarkApplyToAnswer(b *testing.B) {
	api := startBackend(b, "api")
	_, cluster, gw := startCluster(b, kubetest.Options{}, controllerManifests+"---\n"+service("shop", "api", api.addr))
	f := startControllerFleets(b, cluster, gw)
	gateway, ingress := f.gateway, f.ingress
	// The routes already there answer first: the fleets' listeners exist before any timing.
	for host, h := range map[string]*harness{"route.example.com": gateway, "ingress.example.com": ingress} {
		if err := pollAnswer(b.Context(), h, host); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("HTTPRoute", func(b *testing.B) {
		measureApplyToAnswer(b, cluster, gateway, func(k int) (string, string) {
			host := fmt.Sprintf("r%d.applied.example.com", k)
			return host, httpRoute(fmt.Sprintf("applied-%d", k), "web", host, "api")
		})
	})
	b.Run("Ingress", func(b *testing.B) {
		measureApplyToAnswer(b, cluster, ingress, func(k int) (string, string) {
			host := fmt.Sprintf("i%d.applied.example.com", k)
			return host, hostIngress(fmt.Sprintf("applied-%d", k), host, "api")
		})
	})
}

// measureApplyToAnswer applies the manifest of route k in iteration k and waits until its host answers
// from the backend api through h.
func measureApplyToAnswer(b *testing.B, cluster *kubetest.Cluster, h *harness, route func(k int) (host, manifest string)) {
	var took []time.Duration
	for k := 0; b.Loop(); k++ {
		host, manifest := route(k)
		start := time.Now()
		if _, err := cluster.Apply(b.Context(), []byte(manifest)); err != nil {
			b.Fatal(err)
		}
		if err := pollAnswer(b.Context(), h, host); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	s := bench.Summarize(took)
	for unit, d := range map[string]time.Duration{"p50-ms": s.Median, "p90-ms": s.P90, "max-ms": s.Max} {
		b.ReportMetric(float64(d)/float64(time.Millisecond), unit)
	}
}

// pollAnswer asks h for host every few milliseconds until it answers 200 from api, for up to 30 s.
func pollAnswer(ctx context.Context, h *harness, host string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		err := h.answers(host, "/", "api")
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s to answer: %w", host, err)
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// hostIngress is the manifest of an Ingress of namespace shop that sends every request for host to
// port 80 of the Service backend.
func hostIngress(name, host, backend string) string {
	return fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: %s, namespace: shop}
spec:
  ingressClassName: gatebridge
  rules:
  - host: %s
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: %s, port: {number: 80}}}}]}
`, name, host, backend)
}
