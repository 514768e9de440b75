package migrate

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/convert"
)

// TestAuthMethodAndRedirect: both outputs carry auth-method and auth-request-redirect into the extAuth of
// the route policy; an unknown method is lost.
func TestAuthMethodAndRedirect(t *testing.T) {
	auth := corev1.Service{}
	auth.Name, auth.Namespace = "auth", "shop"
	auth.Spec.Ports = []corev1.ServicePort{{Port: 80}}
	ann := map[string]string{"auth-url": "http://auth.shop.svc.cluster.local/check", "auth-method": "POST", "auth-request-redirect": "https://$host/back"}
	bad := map[string]string{"auth-url": "http://auth.shop.svc.cluster.local/check", "auth-method": "FETCH"}
	for _, format := range []string{FormatGatewayAPI, FormatIstio} {
		t.Run(format, func(t *testing.T) {
			in := convert.Input{Ingresses: []networkingv1.Ingress{tlsIngress("api", "api.example.com", "api", 1, ann), tlsIngress("web", "web.example.com", "web", 2, bad)},
				Services: []corev1.Service{tlsService("api"), tlsService("web"), auth}}
			out, res := migrateYAML(t, in, Options{Format: format})
			all := string(out) + res.Report.Text()
			for _, w := range []string{"method: POST", "requestRedirect: https://$host/back", "exact        nginx.ingress.kubernetes.io/auth-method",
				"approximated nginx.ingress.kubernetes.io/auth-request-redirect", `lost         nginx.ingress.kubernetes.io/auth-method: "FETCH" is not one of`} {
				if !strings.Contains(all, w) {
					t.Errorf("missing %q in\n%s", w, all)
				}
			}
		})
	}
}
