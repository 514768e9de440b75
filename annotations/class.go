package annotations

// ClassAnnotation is the legacy annotation that picks the ingress controller of an Ingress. When it is
// present it takes precedence over spec.ingressClassName, as it does in ingress-nginx.
const ClassAnnotation = "kubernetes.io/ingress.class"

func parseClass(annotations map[string]string) (string, bool) {
	v, ok := annotations[ClassAnnotation]
	return v, ok
}
