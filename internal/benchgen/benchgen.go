// Package benchgen builds large, realistic translation inputs programmatically: n HTTPRoutes or n
// Ingresses with their Services, spread over namespaces and hostnames, for benchmarks.
package benchgen

import (
	"bytes"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/convert"
)

// Shape of the generated inputs.
const (
	// GatewayNamespace and GatewayName name the one Gateway every HTTPRoute attaches to; GatewayFleet is
	// the fleet that serves it.
	GatewayNamespace = "shop"
	GatewayName      = "web"
	GatewayFleet     = "gateway-shop-web"
	// ClassName names the GatewayClass and the IngressClass; IngressFleet serves the IngressClass.
	ClassName    = "gatebridge"
	IngressFleet = "ingress-gatebridge"
	// Namespaces is how many namespaces the routes and Services are spread over.
	Namespaces = 8
	// RoutesPerHost is how many routes (or Ingresses) of a namespace share one hostname.
	RoutesPerHost = 4
	// ServicePort is the port of every generated Service.
	ServicePort = 80
)

// Kind is one kind of generated input and the fleet that serves it.
type Kind struct {
	Name     string
	Generate func(n int) convert.Input
	Fleet    string
}

// Kinds are the kinds of generated input: HTTPRoutes of the Gateway, Ingresses of the IngressClass.
var Kinds = []Kind{
	{"HTTPRoute", HTTPRoutes, GatewayFleet},
	{"Ingress", Ingresses, IngressFleet},
}

// Sizes are the numbers of objects of a kind that benchmarks translate.
var Sizes = []int{100, 1000, 10000}

// created is the creation time of the first object; each later object is one second younger, so that
// "oldest wins" rules have a deterministic order.
var created = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Namespace is the namespace of the i-th route or Ingress.
func Namespace(i int) string { return fmt.Sprintf("team-%02d", i%Namespaces) }

// HTTPRouteHost is the hostname of the i-th HTTPRoute.
func HTTPRouteHost(i int) string {
	return fmt.Sprintf("app-%d.%s.example.com", i/Namespaces/RoutesPerHost, Namespace(i))
}

// IngressHost is the hostname of the i-th Ingress.
func IngressHost(i int) string {
	return fmt.Sprintf("web-%d.%s.example.org", i/Namespaces/RoutesPerHost, Namespace(i))
}

func meta(kind, apiVersion string) metav1.TypeMeta {
	return metav1.TypeMeta{Kind: kind, APIVersion: apiVersion}
}

func objectMeta(namespace, name string, i int) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Namespace:         namespace,
		Name:              name,
		CreationTimestamp: metav1.NewTime(created.Add(time.Duration(i) * time.Second)),
	}
}

// HTTPRoutes returns a GatewayClass, one Gateway (listener HTTP/80, routes from all namespaces), n
// HTTPRoutes and the Services they send to. Every route has its own path prefix under a hostname it
// shares with RoutesPerHost-1 other routes of its namespace; each has a segment prefix rule, an exact
// health path, and every third route a header-matched canary split 90/10 between two Services.
func HTTPRoutes(n int) convert.Input {
	in := convert.Input{
		GatewayClasses: []gwapiv1.GatewayClass{{
			TypeMeta:   meta("GatewayClass", gwapiv1.GroupVersion.String()),
			ObjectMeta: objectMeta("", ClassName, 0),
			Spec:       gwapiv1.GatewayClassSpec{ControllerName: convert.DefaultGatewayController},
		}},
		Gateways: []gwapiv1.Gateway{{
			TypeMeta:   meta("Gateway", gwapiv1.GroupVersion.String()),
			ObjectMeta: objectMeta(GatewayNamespace, GatewayName, 0),
			Spec: gwapiv1.GatewaySpec{
				GatewayClassName: ClassName,
				Listeners: []gwapiv1.Listener{{
					Name: "http", Protocol: gwapiv1.HTTPProtocolType, Port: 80,
					AllowedRoutes: &gwapiv1.AllowedRoutes{Namespaces: &gwapiv1.RouteNamespaces{From: ref(gwapiv1.NamespacesFromAll)}},
				}},
			},
		}},
	}
	for i := range n {
		in.HTTPRoutes = append(in.HTTPRoutes, httpRoute(i))
	}
	in.Services = services(n, "app", true)
	return in
}

// serviceName is the Service the i-th route or Ingress sends to: two neighbours of a namespace share one.
func serviceName(prefix string, i int) string { return fmt.Sprintf("%s-%d", prefix, i/Namespaces/2) }

func httpRoute(i int) gwapiv1.HTTPRoute {
	svc := serviceName("app", i)
	base := fmt.Sprintf("/svc-%d", i)
	backend := func(name string, weight int32) gwapiv1.HTTPBackendRef {
		return gwapiv1.HTTPBackendRef{BackendRef: gwapiv1.BackendRef{
			BackendObjectReference: gwapiv1.BackendObjectReference{Name: gwapiv1.ObjectName(name), Port: ref(gwapiv1.PortNumber(ServicePort))},
			Weight:                 ref(weight),
		}}
	}
	path := func(typ gwapiv1.PathMatchType, v string) *gwapiv1.HTTPPathMatch {
		return &gwapiv1.HTTPPathMatch{Type: ref(typ), Value: ref(v)}
	}
	rules := []gwapiv1.HTTPRouteRule{
		{
			Matches:     []gwapiv1.HTTPRouteMatch{{Path: path(gwapiv1.PathMatchPathPrefix, base)}},
			BackendRefs: []gwapiv1.HTTPBackendRef{backend(svc, 1)},
		},
		{
			Matches:     []gwapiv1.HTTPRouteMatch{{Path: path(gwapiv1.PathMatchExact, base+"/healthz")}},
			BackendRefs: []gwapiv1.HTTPBackendRef{backend(svc, 1)},
		},
	}
	if i%3 == 0 {
		rules = append(rules, gwapiv1.HTTPRouteRule{
			Matches: []gwapiv1.HTTPRouteMatch{{
				Path:    path(gwapiv1.PathMatchPathPrefix, base+"/beta"),
				Headers: []gwapiv1.HTTPHeaderMatch{{Name: "x-canary", Value: "true"}},
			}},
			BackendRefs: []gwapiv1.HTTPBackendRef{backend(svc, 90), backend(svc+"-canary", 10)},
		})
	}
	return gwapiv1.HTTPRoute{
		TypeMeta:   meta("HTTPRoute", gwapiv1.GroupVersion.String()),
		ObjectMeta: objectMeta(Namespace(i), fmt.Sprintf("route-%d", i), i),
		Spec: gwapiv1.HTTPRouteSpec{
			CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: []gwapiv1.ParentReference{{
				Name: GatewayName, Namespace: ref(gwapiv1.Namespace(GatewayNamespace)),
			}}},
			Hostnames: []gwapiv1.Hostname{gwapiv1.Hostname(HTTPRouteHost(i))},
			Rules:     rules,
		},
	}
}

// Ingresses returns an IngressClass of gatebridge, n Ingresses and the Services they send to. Every
// Ingress has its own paths under a hostname it shares with RoutesPerHost-1 other Ingresses of its
// namespace: a Prefix path (Service port by name), an Exact path (by number), and every other Ingress an
// ImplementationSpecific path.
func Ingresses(n int) convert.Input {
	in := convert.Input{
		IngressClasses: []networkingv1.IngressClass{{
			TypeMeta:   meta("IngressClass", networkingv1.SchemeGroupVersion.String()),
			ObjectMeta: objectMeta("", ClassName, 0),
			Spec:       networkingv1.IngressClassSpec{Controller: convert.DefaultIngressController},
		}},
	}
	for i := range n {
		in.Ingresses = append(in.Ingresses, ingress(i))
	}
	in.Services = services(n, "web", false)
	return in
}

func ingress(i int) networkingv1.Ingress {
	svc := serviceName("web", i)
	byName := networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Name: "http"}}}
	byNumber := networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Number: ServicePort}}}
	paths := []networkingv1.HTTPIngressPath{
		{Path: fmt.Sprintf("/app-%d", i), PathType: ref(networkingv1.PathTypePrefix), Backend: byName},
		{Path: fmt.Sprintf("/app-%d/status", i), PathType: ref(networkingv1.PathTypeExact), Backend: byNumber},
	}
	if i%2 == 0 {
		paths = append(paths, networkingv1.HTTPIngressPath{Path: fmt.Sprintf("/static-%d", i), PathType: ref(networkingv1.PathTypeImplementationSpecific), Backend: byName})
	}
	return networkingv1.Ingress{
		TypeMeta:   meta("Ingress", networkingv1.SchemeGroupVersion.String()),
		ObjectMeta: objectMeta(Namespace(i), fmt.Sprintf("ingress-%d", i), i),
		Spec: networkingv1.IngressSpec{
			IngressClassName: ref(ClassName),
			Rules: []networkingv1.IngressRule{{
				Host:             IngressHost(i),
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}},
			}},
		},
	}
}

// services returns the Services that n routes or Ingresses send to (and their canaries), each with two
// static endpoints so that no EndpointSlices are needed.
func services(n int, prefix string, canaries bool) []corev1.Service {
	var out []corev1.Service
	seen := map[string]bool{}
	for i := range n {
		ns, name := Namespace(i), serviceName(prefix, i)
		if seen[ns+"/"+name] {
			continue
		}
		seen[ns+"/"+name] = true
		out = append(out, service(ns, name, len(out)))
		if canaries {
			out = append(out, service(ns, name+"-canary", len(out)))
		}
	}
	return out
}

func service(namespace, name string, k int) corev1.Service {
	endpoints := fmt.Sprintf("10.%d.%d.%d:8080,10.%d.%d.%d:8080", 1+k/62500, k/250%250, 1+k%250, 101+k/62500, k/250%250, 1+k%250)
	m := objectMeta(namespace, name, k)
	m.Annotations = map[string]string{annotations.EndpointsAnnotation: endpoints}
	return corev1.Service{
		TypeMeta:   meta("Service", "v1"),
		ObjectMeta: m,
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: ServicePort, Protocol: corev1.ProtocolTCP}}},
	}
}

// Manifests prints the objects of an Input as a multi-document YAML stream, as a folder of manifests
// for standalone mode would hold them.
func Manifests(in convert.Input) ([]byte, error) {
	var objs []any
	objs = appendAll(objs, in.IngressClasses)
	objs = appendAll(objs, in.GatewayClasses)
	objs = appendAll(objs, in.Gateways)
	objs = appendAll(objs, in.Services)
	objs = appendAll(objs, in.HTTPRoutes)
	objs = appendAll(objs, in.Ingresses)
	var buf bytes.Buffer
	for i, o := range objs {
		b, err := yaml.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("print object %d: %w", i, err)
		}
		buf.WriteString("---\n")
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

func appendAll[T any](out []any, objs []T) []any {
	for i := range objs {
		out = append(out, &objs[i])
	}
	return out
}

func ref[T any](v T) *T { return &v }
