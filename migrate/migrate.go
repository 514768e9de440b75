package migrate

import (
	"cmp"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/convert"
)

// Output formats.
const (
	FormatGatewayAPI = "gateway-api"
	FormatIstio      = "istio"
)

// Defaults of Options.
const (
	DefaultGatewayClassName = "gatebridge"
	DefaultGatewayNamespace = "gatebridge-system"
	// DefaultIngressClass is the class of an Ingress that names none when no IngressClass is the
	// default: ingress-nginx's own default (--ingress-class=nginx).
	DefaultIngressClass = "nginx"
	// IngressNginxController is the spec.controller of ingress-nginx's IngressClasses.
	IngressNginxController = "k8s.io/ingress-nginx"
)

// Options configure a migration. The zero value is usable.
type Options struct {
	// Format is FormatGatewayAPI (the default) or FormatIstio.
	Format string
	// IngressClasses keeps only the Ingresses of these classes; empty keeps every Ingress whose class
	// is served by ingress-nginx or names no IngressClass of another controller.
	IngressClasses []string
	// GatewayClassName is the class of the Gateways made (one or more per IngressClass).
	GatewayClassName string
	// GatewayNamespace is where the Gateways go.
	GatewayNamespace string
	// DefaultIngressClass is the class of Ingresses that name none, when no IngressClass is marked
	// default.
	DefaultIngressClass string
}

func (o Options) withDefaults() Options {
	o.Format = cmp.Or(o.Format, FormatGatewayAPI)
	o.GatewayClassName = cmp.Or(o.GatewayClassName, DefaultGatewayClassName)
	o.GatewayNamespace = cmp.Or(o.GatewayNamespace, DefaultGatewayNamespace)
	o.DefaultIngressClass = cmp.Or(o.DefaultIngressClass, DefaultIngressClass)
	return o
}

// Result is what a migration produces.
type Result struct {
	// Objects are the resources to apply, in apply order (Gateways first), each a map ready for YAML.
	Objects []map[string]any
	Report  Report
}

// Migrate converts the Ingresses of the input (with the Services and Secrets they name) into resources
// of opts.Format. It never fails as a whole: what cannot be carried over is in the report.
func Migrate(in convert.Input, opts Options) (Result, error) {
	opts = opts.withDefaults()
	classes := selectIngresses(&in, opts)
	if opts.Format == FormatIstio {
		return migrateIstio(&in, classes, opts)
	}
	return migrateGatewayAPI(&in, classes, opts)
}

// ingressClass is the Ingresses of one class, oldest first.
type ingressClass struct {
	name      string
	ingresses []*networkingv1.Ingress
}

// selectIngresses groups the Ingresses to migrate by class, as ingress-nginx picks them: the legacy
// annotation wins over spec.ingressClassName; an Ingress with neither belongs to the default
// IngressClass, or else to opts.DefaultIngressClass.
func selectIngresses(in *convert.Input, opts Options) []*ingressClass {
	controllers := map[string]string{}
	defaultClass := ""
	for _, ic := range in.IngressClasses {
		controllers[ic.Name] = ic.Spec.Controller
		if ic.Annotations[convert.DefaultIngressClassMarker] == "true" && (defaultClass == "" || ic.Name < defaultClass) {
			defaultClass = ic.Name
		}
	}
	byName := map[string]*ingressClass{}
	for i := range in.Ingresses {
		ing := &in.Ingresses[i]
		class := classOf(ing, cmp.Or(defaultClass, opts.DefaultIngressClass))
		if !wanted(class, controllers, opts.IngressClasses) {
			continue
		}
		if byName[class] == nil {
			byName[class] = &ingressClass{name: class}
		}
		byName[class].ingresses = append(byName[class].ingresses, ing)
	}
	var out []*ingressClass
	for _, c := range byName {
		slices.SortFunc(c.ingresses, func(a, b *networkingv1.Ingress) int { return olderFirst(&a.ObjectMeta, &b.ObjectMeta) })
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *ingressClass) int { return cmp.Compare(a.name, b.name) })
	return out
}

func classOf(ing *networkingv1.Ingress, fallback string) string {
	if v, ok := ing.Annotations[annotations.ClassAnnotation]; ok && v != "" {
		return v
	}
	if ing.Spec.IngressClassName != nil && *ing.Spec.IngressClassName != "" {
		return *ing.Spec.IngressClassName
	}
	return fallback
}

// wanted says whether Ingresses of class are migrated: those named by the filter, or without one,
// those of a class that no IngressClass gives to another controller.
func wanted(class string, controllers map[string]string, filter []string) bool {
	if len(filter) > 0 {
		return slices.Contains(filter, class)
	}
	c, ok := controllers[class]
	return !ok || c == IngressNginxController
}

// olderFirst orders objects as ingress-nginx resolves conflicts: the oldest first, then by namespace
// and name.
func olderFirst(a, b *metav1.ObjectMeta) int {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		if a.CreationTimestamp.Before(&b.CreationTimestamp) {
			return -1
		}
		return 1
	}
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

func ingressRef(ing *networkingv1.Ingress) Ref {
	return Ref{Kind: "Ingress", Namespace: ing.Namespace, Name: ing.Name}
}
