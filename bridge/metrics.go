package bridge

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/envoyxds"
)

// metrics are the controller's Prometheus metrics, in a registry of its own (two controllers in one
// process, as in tests, do not collide).
type metrics struct {
	registry *prometheus.Registry

	reconciles     *prometheus.CounterVec // by result: ok, error
	reconcileTime  prometheus.Histogram
	statusWrites   prometheus.Counter
	pushes         *prometheus.CounterVec // by fleet
	acks           *prometheus.CounterVec // by fleet
	nacks          *prometheus.CounterVec // by fleet
	changeToAck    prometheus.Histogram
	objects        *prometheus.GaugeVec // by kind and state
	leader         prometheus.Gauge
	eventsRecorded prometheus.Counter
	unaddressed    prometheus.Gauge
}

func newMetrics(server *envoyxds.Server) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatebridge_reconciles_total", Help: "Rebuilds of the whole configuration from the caches, by result.",
		}, []string{"result"}),
		reconcileTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "gatebridge_reconcile_duration_seconds", Help: "Time of one rebuild: translation, validation, push and status.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		statusWrites: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatebridge_status_writes_total", Help: "Status updates written to the API server.",
		}),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatebridge_xds_pushes_total", Help: "New configuration versions served, by fleet.",
		}, []string{"fleet"}),
		acks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatebridge_xds_acks_total", Help: "Versions an Envoy accepted, by fleet.",
		}, []string{"fleet"}),
		nacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatebridge_xds_nacks_total", Help: "Versions an Envoy rejected, by fleet.",
		}, []string{"fleet"}),
		changeToAck: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gatebridge_change_to_ack_seconds",
			Help:    "Time from the first API change of a rebuild to the first Envoy of a fleet accepting the result.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}),
		objects: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gatebridge_objects", Help: "Objects read at the last rebuild, by kind and state (accepted, rejected, ignored).",
		}, []string{"kind", "state"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gatebridge_leader", Help: "1 while this replica is the leader that writes status.",
		}),
		eventsRecorded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatebridge_events_total", Help: "Events recorded on objects for translation notes.",
		}),
		unaddressed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gatebridge_gateways_without_address", Help: "Gateways the last rebuild could give no usable address.",
		}),
	}
	connected := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gatebridge_xds_connected_envoys", Help: "Envoy streams connected to this replica.",
	}, func() float64 {
		n := 0
		for _, f := range server.Status() {
			n += len(f.Nodes)
		}
		return float64(n)
	})
	m.registry.MustRegister(m.reconciles, m.reconcileTime, m.statusWrites, m.pushes, m.acks, m.nacks, m.changeToAck,
		m.objects, m.leader, m.eventsRecorded, m.unaddressed, connected,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe records one rebuild: its result and time, and the objects it read by kind and state.
func (c *Controller) observe(in *convert.Input, res *convert.Result, err error, took time.Duration, wrote, events int) {
	m := c.metrics
	m.reconciles.WithLabelValues(map[bool]string{true: "ok", false: "error"}[err == nil]).Inc()
	m.reconcileTime.Observe(took.Seconds())
	m.statusWrites.Add(float64(wrote))
	m.eventsRecorded.Add(float64(events))
	m.objects.Reset()
	st := &res.Status
	count := func(kind string, served, accepted bool) {
		state := "ignored"
		switch {
		case served && accepted:
			state = "accepted"
		case served:
			state = "rejected"
		}
		m.objects.WithLabelValues(kind, state).Inc()
	}
	for i := range in.Ingresses {
		_, ok := st.Ingresses[convert.ObjectRef{Kind: "Ingress", Namespace: in.Ingresses[i].Namespace, Name: in.Ingresses[i].Name}]
		count("Ingress", ok, true)
	}
	for i := range in.GatewayClasses {
		s, ok := st.GatewayClasses[convert.ObjectRef{Kind: "GatewayClass", Name: in.GatewayClasses[i].Name}]
		count("GatewayClass", ok, apimeta.IsStatusConditionTrue(s.Conditions, string(gwapiv1.GatewayClassConditionStatusAccepted)))
	}
	for i := range in.Gateways {
		s, ok := st.Gateways[convert.ObjectRef{Kind: "Gateway", Namespace: in.Gateways[i].Namespace, Name: in.Gateways[i].Name}]
		count("Gateway", ok, apimeta.IsStatusConditionTrue(s.Conditions, string(gwapiv1.GatewayConditionAccepted)))
	}
	routes := func(kind string, metas []*metav1.ObjectMeta) {
		for _, meta := range metas {
			s, ok := st.Routes[convert.ObjectRef{Kind: kind, Namespace: meta.Namespace, Name: meta.Name}]
			accepted := len(s.Parents) > 0
			for _, p := range s.Parents {
				accepted = accepted && apimeta.IsStatusConditionTrue(p.Conditions, string(gwapiv1.RouteConditionAccepted))
			}
			count(kind, ok, accepted)
		}
	}
	routes("HTTPRoute", metasOf(in.HTTPRoutes, func(r *gwapiv1.HTTPRoute) *metav1.ObjectMeta { return &r.ObjectMeta }))
	routes("GRPCRoute", metasOf(in.GRPCRoutes, func(r *gwapiv1.GRPCRoute) *metav1.ObjectMeta { return &r.ObjectMeta }))
	routes("TLSRoute", metasOf(in.TLSRoutes, func(r *gwapiv1.TLSRoute) *metav1.ObjectMeta { return &r.ObjectMeta }))
}

func metasOf[T any](items []T, meta func(*T) *metav1.ObjectMeta) []*metav1.ObjectMeta {
	out := make([]*metav1.ObjectMeta, len(items))
	for i := range items {
		out[i] = meta(&items[i])
	}
	return out
}

// healthHandler serves /metrics, /healthz (the process answers) and /readyz (the caches are synced
// and a first configuration is pushed: an Envoy connecting now gets the cluster's configuration).
func (c *Controller) healthHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(c.metrics.registry, promhttp.HandlerOpts{}))
	mux.Handle("/xds-acks", serveAcks(c.Server))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !c.ready.Load() {
			http.Error(w, "not ready: caches not synced or no configuration pushed yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}
