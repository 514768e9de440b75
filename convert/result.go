package convert

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/model"
)

// Default values of Options.
const (
	DefaultIngressController  = "gatebridge.dev/ingress-controller"
	DefaultIngressClassValue  = "gatebridge"
	DefaultGatewayController  = "gatebridge.dev/gateway-controller"
	DefaultIngressNamespace   = "gatebridge-system"
	DefaultDomainSuffix       = "cluster.local"
	DefaultIngressHTTPPort    = 80
	DefaultIngressHTTPSPort   = 443
	IngressClassAnnotation    = "kubernetes.io/ingress.class"
	DefaultIngressClassMarker = "ingressclass.kubernetes.io/is-default-class"
)

// Options configure a translation. The zero value is usable: every empty field takes its default.
type Options struct {
	// IngressController is the spec.controller of the IngressClasses gatebridge serves.
	IngressController string
	// IngressClassValue is the value of the legacy kubernetes.io/ingress.class annotation that selects
	// gatebridge.
	IngressClassValue string
	// WatchIngressWithoutClass takes Ingresses that name no class even without a default IngressClass.
	WatchIngressWithoutClass bool
	// IngressNamespace is where the Istio resources of Ingress fleets are placed.
	IngressNamespace string
	// IngressHTTPPort and IngressHTTPSPort are the ports of Ingress fleets.
	IngressHTTPPort, IngressHTTPSPort uint32
	// IngressAddresses go into status.loadBalancer of every Ingress gatebridge serves (IPs or hostnames).
	IngressAddresses []string
	// IngressClassAddresses, when they name a class, replace IngressAddresses for its Ingresses.
	IngressClassAddresses map[string][]string

	// GatewayController is the controllerName of the GatewayClasses gatebridge serves.
	GatewayController string
	// GatewayAddresses maps "namespace/name" of a Gateway to the addresses its fleet listens on.
	GatewayAddresses map[string][]string
	// GatewayAddressErrors maps "namespace/name" of a Gateway to why it got no usable address (its
	// spec.addresses asks for one the controller cannot give): it is then not Programmed.
	GatewayAddressErrors map[string]string

	// DomainSuffix is the cluster domain used in destination hosts.
	DomainSuffix string
	// Now stamps lastTransitionTime of every condition, and is the clock TLS certificates are checked
	// against (when zero, their validity period is not checked).
	Now metav1.Time
}

func (o Options) withDefaults() Options {
	o.IngressController = cmp.Or(o.IngressController, DefaultIngressController)
	o.IngressClassValue = cmp.Or(o.IngressClassValue, DefaultIngressClassValue)
	o.IngressNamespace = cmp.Or(o.IngressNamespace, DefaultIngressNamespace)
	o.IngressHTTPPort = cmp.Or(o.IngressHTTPPort, DefaultIngressHTTPPort)
	o.IngressHTTPSPort = cmp.Or(o.IngressHTTPSPort, DefaultIngressHTTPSPort)
	o.GatewayController = cmp.Or(o.GatewayController, DefaultGatewayController)
	o.DomainSuffix = cmp.Or(o.DomainSuffix, DefaultDomainSuffix)
	return o
}

// ObjectRef names one input object.
type ObjectRef struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

func (r ObjectRef) String() string { return r.Kind + "/" + objectName(r.Namespace, r.Name) }

func compareRefs(a, b ObjectRef) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

// Note types, as Kubernetes Events have them.
const (
	NoteNormal  = "Normal"
	NoteWarning = "Warning"
)

// Note is something a user should know about one object: an unsupported field or annotation, an
// approximation, a conflict that was resolved. The controller turns notes into Events.
type Note struct {
	Object  ObjectRef `json:"object"`
	Type    string    `json:"type"`
	Reason  string    `json:"reason"`
	Message string    `json:"message"`
}

func (n Note) String() string {
	return fmt.Sprintf("%s %s %s: %s", n.Type, n.Object, n.Reason, n.Message)
}

// Status is the status translation wants every served object to have. Objects that belong to other
// controllers are absent: their status is not ours to write.
type Status struct {
	Ingresses      map[ObjectRef]networkingv1.IngressStatus
	GatewayClasses map[ObjectRef]gwapiv1.GatewayClassStatus
	Gateways       map[ObjectRef]gwapiv1.GatewayStatus
	// ListenerSets holds the status of the ListenerSets whose parent is one of gatebridge's Gateways.
	ListenerSets map[ObjectRef]gwapiv1.ListenerSetStatus
	// Routes holds the parent statuses gatebridge owns for HTTPRoutes, GRPCRoutes and TLSRoutes.
	Routes map[ObjectRef]gwapiv1.RouteStatus
	// BackendTLSPolicies holds, for every BackendTLSPolicy, the ancestors (Gateways) gatebridge owns;
	// an empty status removes those it wrote before.
	BackendTLSPolicies map[ObjectRef]gwapiv1.PolicyStatus
}

// Result is what Translate returns.
type Result struct {
	Snapshot model.Snapshot
	Status   Status
	Notes    []Note
	// SecretsChange is when the certificate of a TLS Secret the input names expires or becomes valid
	// (zero if none will, or Options.Now was not set): translation must run again then, even if no
	// object changes.
	SecretsChange time.Time `json:"-"`
}

// ObjectStatus is one entry of Result.StatusList.
type ObjectStatus struct {
	Object ObjectRef `json:"object"`
	Status any       `json:"status"`
}

// StatusList flattens the status maps into a list sorted by object, for printing.
func (r *Result) StatusList() []ObjectStatus {
	var out []ObjectStatus
	out = appendStatuses(out, r.Status.Ingresses)
	out = appendStatuses(out, r.Status.GatewayClasses)
	out = appendStatuses(out, r.Status.Gateways)
	out = appendStatuses(out, r.Status.ListenerSets)
	out = appendStatuses(out, r.Status.Routes)
	out = appendStatuses(out, r.Status.BackendTLSPolicies)
	slices.SortFunc(out, func(a, b ObjectStatus) int { return compareRefs(a.Object, b.Object) })
	return out
}

func appendStatuses[S any](out []ObjectStatus, m map[ObjectRef]S) []ObjectStatus {
	for ref, s := range m {
		out = append(out, ObjectStatus{Object: ref, Status: s})
	}
	return out
}
