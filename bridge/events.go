package bridge

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"

	gbv1alpha1 "github.com/gatebridge/gatebridge/api/v1alpha1"
	"github.com/gatebridge/gatebridge/convert"
)

// eventComponent is the source of gatebridge's Events.
const eventComponent = "gatebridge"

// noteEvents turns translation notes into Events on the objects they are about. A note becomes an
// Event when it first appears; while it stays, later rebuilds do not repeat it.
type noteEvents struct {
	recorder record.EventRecorder
	seen     map[convert.Note]bool
}

// newNoteEvents records Events through the API server until ctx ends.
func newNoteEvents(ctx context.Context, kube kubernetes.Interface) *noteEvents {
	b := record.NewBroadcaster(record.WithContext(ctx))
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events("")})
	go func() {
		<-ctx.Done()
		b.Shutdown()
	}()
	return &noteEvents{recorder: b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: eventComponent}), seen: map[convert.Note]bool{}}
}

// record emits the notes not emitted at the previous call and returns how many it emitted. Notes about
// objects not in the input (they were deleted meanwhile) are dropped.
func (e *noteEvents) record(in *convert.Input, notes []convert.Note) int {
	var objects map[convert.ObjectRef]*corev1.ObjectReference // indexed only when a note is new
	now := make(map[convert.Note]bool, len(notes))
	n := 0
	for _, note := range notes {
		now[note] = true
		if e.seen[note] {
			continue
		}
		if objects == nil {
			objects = objectReferences(in)
		}
		ref, ok := objects[note.Object]
		if !ok {
			continue
		}
		e.recorder.Event(ref, note.Type, note.Reason, note.Message)
		n++
	}
	e.seen = now
	return n
}

// objectReferences indexes the objects of the input that notes can name.
func objectReferences(in *convert.Input) map[convert.ObjectRef]*corev1.ObjectReference {
	out := map[convert.ObjectRef]*corev1.ObjectReference{}
	add := func(kind, apiVersion string, m *metav1.ObjectMeta) {
		out[convert.ObjectRef{Kind: kind, Namespace: m.Namespace, Name: m.Name}] = &corev1.ObjectReference{
			Kind: kind, APIVersion: apiVersion, Namespace: m.Namespace, Name: m.Name, UID: m.UID, ResourceVersion: m.ResourceVersion,
		}
	}
	const gw = "gateway.networking.k8s.io/v1"
	for i := range in.Ingresses {
		add("Ingress", "networking.k8s.io/v1", &in.Ingresses[i].ObjectMeta)
	}
	for i := range in.IngressClasses {
		add("IngressClass", "networking.k8s.io/v1", &in.IngressClasses[i].ObjectMeta)
	}
	for i := range in.GatewayClasses {
		add("GatewayClass", gw, &in.GatewayClasses[i].ObjectMeta)
	}
	for i := range in.Gateways {
		add("Gateway", gw, &in.Gateways[i].ObjectMeta)
	}
	for i := range in.ListenerSets {
		add("ListenerSet", gw, &in.ListenerSets[i].ObjectMeta)
	}
	for i := range in.HTTPRoutes {
		add("HTTPRoute", gw, &in.HTTPRoutes[i].ObjectMeta)
	}
	for i := range in.GRPCRoutes {
		add("GRPCRoute", gw, &in.GRPCRoutes[i].ObjectMeta)
	}
	for i := range in.TLSRoutes {
		add("TLSRoute", gw, &in.TLSRoutes[i].ObjectMeta)
	}
	for i := range in.RoutePolicies {
		add(gbv1alpha1.RoutePolicyKind, gbv1alpha1.SchemeGroupVersion.String(), &in.RoutePolicies[i].ObjectMeta)
	}
	for i := range in.Services {
		add("Service", "v1", &in.Services[i].ObjectMeta)
	}
	return out
}
