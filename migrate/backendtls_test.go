package migrate

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/convert"
)

// tlsIngress is an Ingress of namespace shop sending host to Service svc (port 8443, named https) over TLS
// with the given extra annotations.
func tlsIngress(name, host, svc string, created int, ann map[string]string) networkingv1.Ingress {
	a := map[string]string{np + "backend-protocol": "HTTPS"}
	for k, v := range ann {
		a[np+k] = v
	}
	prefix := networkingv1.PathTypePrefix
	return networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Annotations: a, CreationTimestamp: metav1.Unix(int64(created), 0)},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
			Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
				Name: svc, Port: networkingv1.ServiceBackendPort{Number: 8443}}}}}}}}}},
	}
}

func tlsService(name string) corev1.Service {
	return corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"}, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "https", Port: 8443}}}}
}

// caSecret is a Secret of namespace shop with the corpus's CA certificate, and a client pair when pair is set.
func caSecret(t *testing.T, name string, pair bool) corev1.Secret {
	t.Helper()
	in, err := convert.LoadPaths("default", "testdata/backends.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"}, Data: map[string][]byte{}}
	for _, have := range in.Secrets {
		if have.Name == "vault-ca" {
			s.Data["ca.crt"] = have.Data["ca.crt"]
		}
	}
	if pair {
		s.Data["tls.crt"], s.Data["tls.key"] = []byte("client certificate"), []byte("PRIVATE KEY BYTES")
	}
	return s
}

func TestBackendTLS(t *testing.T) {
	verify := map[string]string{"proxy-ssl-verify": "on", "proxy-ssl-secret": "shop/api-ca", "proxy-ssl-name": "api.internal", "proxy-ssl-server-name": "on"}
	other := map[string]string{"proxy-ssl-verify": "on", "proxy-ssl-secret": "shop/other-ca"}
	cases := []struct {
		name      string
		ingresses []networkingv1.Ingress
		secrets   []corev1.Secret
		// want are substrings of the output, report and actions; absent must not appear.
		want, absent []string
	}{
		{name: "verified, Secret in the input", ingresses: []networkingv1.Ingress{tlsIngress("api", "api.example.com", "api", 1, verify)},
			secrets: []corev1.Secret{caSecret(t, "api-ca", false)},
			want:    []string{"kind: BackendTLSPolicy", "name: api-https", "sectionName: https", "hostname: api.internal", "\nkind: ConfigMap", "BEGIN CERTIFICATE", "exact        nginx.ingress.kubernetes.io/proxy-ssl-verify"},
			absent:  []string{"clientCertificateRef", "to do by hand"}},
		{name: "Secret not in the input: an action", ingresses: []networkingv1.Ingress{tlsIngress("api", "api.example.com", "api", 1, verify)},
			want:   []string{"kind: BackendTLSPolicy", "name: api-ca", "ConfigMap shop/api-ca (BackendTLSPolicy CA of Ingress/shop/api): create it", "approximated nginx.ingress.kubernetes.io/proxy-ssl-secret"},
			absent: []string{"\nkind: ConfigMap"}},
		{name: "no verification: lost", ingresses: []networkingv1.Ingress{tlsIngress("api", "api.example.com", "api", 1, nil)},
			want:   []string{"lost         nginx.ingress.kubernetes.io/backend-protocol: TLS to the backend without verifying"},
			absent: []string{"kind: BackendTLSPolicy"}},
		{name: "no proxy-ssl-name: the Service's name", ingresses: []networkingv1.Ingress{tlsIngress("api", "api.example.com", "api", 1, other)},
			secrets: []corev1.Secret{caSecret(t, "other-ca", false)},
			want:    []string{"hostname: api.shop.svc", "approximated nginx.ingress.kubernetes.io/proxy-ssl-verify: no proxy-ssl-name"}},
		{name: "client certificate shared by every TLS backend of the Gateway",
			ingresses: []networkingv1.Ingress{tlsIngress("api", "api.example.com", "api", 1, verify), tlsIngress("web", "web.example.com", "web", 2, verify)},
			secrets:   []corev1.Secret{caSecret(t, "api-ca", true)},
			want:      []string{"clientCertificateRef:", "kind: ReferenceGrant", "exact        nginx.ingress.kubernetes.io/proxy-ssl-secret: its client certificate (tls.crt, tls.key) is Gateway nginx's spec.tls.backend.clientCertificateRef"},
			absent:    []string{"PRIVATE KEY", "client certificate\n"}},
		{name: "client certificates that differ: lost",
			ingresses: []networkingv1.Ingress{tlsIngress("api", "api.example.com", "api", 1, verify), tlsIngress("web", "web.example.com", "web", 2, other)},
			secrets:   []corev1.Secret{caSecret(t, "api-ca", true), caSecret(t, "other-ca", false)},
			want:      []string{"lost         nginx.ingress.kubernetes.io/proxy-ssl-secret: Secret shop/api-ca also holds a client certificate", "(none, shop/api-ca)"},
			absent:    []string{"clientCertificateRef:"}},
		{name: "two Ingresses, one Service, different names: the older's policy",
			ingresses: []networkingv1.Ingress{tlsIngress("api", "api.example.com", "api", 1, verify), tlsIngress("api2", "api2.example.com", "api", 2, other)},
			secrets:   []corev1.Secret{caSecret(t, "api-ca", false), caSecret(t, "other-ca", false)},
			want:      []string{"Service api already has BackendTLSPolicy api-https of Ingress/shop/api (older"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := convert.Input{Ingresses: c.ingresses, Secrets: c.secrets, Services: []corev1.Service{tlsService("api"), tlsService("web")}}
			out, res := migrateYAML(t, in, Options{})
			all := string(out) + res.Report.Text()
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("missing %q in\n%s", w, all)
				}
			}
			for _, a := range c.absent {
				if strings.Contains(all, a) {
					t.Errorf("unexpected %q in\n%s", a, all)
				}
			}
			checkDecodes(t, out)
		})
	}
}

// checkDecodes reads the output back strictly.
func checkDecodes(t *testing.T, out []byte) {
	t.Helper()
	var back convert.Input
	if err := back.Decode("output", strings.NewReader(string(out))); err != nil {
		t.Fatalf("the output does not decode strictly: %v", err)
	}
}
