package bridge

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/gatebridge/gatebridge/annotations"
	gbv1alpha1 "github.com/gatebridge/gatebridge/api/v1alpha1"
	"github.com/gatebridge/gatebridge/convert"
)

func annotatedIngress(namespace, name string, ann map[string]string) networkingv1.Ingress {
	return networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Annotations: ann}}
}

func TestNamedSecretNames(t *testing.T) {
	basic := func(secret string) map[string]string {
		return map[string]string{annotations.NginxPrefix + "auth-type": "basic", annotations.NginxPrefix + "auth-secret": secret}
	}
	backend := func(protocol, secret string) map[string]string {
		return map[string]string{annotations.NginxPrefix + "backend-protocol": protocol, annotations.NginxPrefix + "proxy-ssl-secret": secret}
	}
	policy := func(namespace, secret string) gbv1alpha1.RoutePolicy {
		p := gbv1alpha1.RoutePolicy{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "p"}}
		if secret != "" {
			p.Spec.BasicAuth = &gbv1alpha1.BasicAuth{SecretName: secret}
		}
		return p
	}
	got := namedSecretNames(&convert.Input{Ingresses: []networkingv1.Ingress{
		annotatedIngress("shop", "a", basic("users")),
		annotatedIngress("shop", "b", basic("shop/admins")),
		annotatedIngress("shop", "c", basic("other/users")), // another namespace: refused, not read
		annotatedIngress("shop", "d", map[string]string{annotations.NginxPrefix + "auth-secret": "no-type"}),
		annotatedIngress("shop", "e", backend("HTTPS", "shop/backend-ca")),
		annotatedIngress("shop", "f", backend("GRPCS", "shop/grpc-ca")),
		annotatedIngress("shop", "g", backend("HTTPS", "other/backend-ca")), // another namespace: refused
		annotatedIngress("shop", "h", backend("HTTP", "shop/unused-ca")),    // no TLS to the backend: unused
		annotatedIngress("shop", "i", backend("HTTPS", "no-namespace")),     // Invalid: not namespace/name
	}, RoutePolicies: []gbv1alpha1.RoutePolicy{policy("billing", "payers"), policy("billing", "")}})
	want := map[nsName]bool{{"shop", "users"}: true, {"shop", "admins"}: true, {"shop", "backend-ca"}: true, {"shop", "grpc-ca"}: true, {"billing", "payers"}: true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("namedSecretNames = %v, want %v", got, want)
	}
}

// TestNamedSecretsFollow checks that only the named Secrets are listed, that an update of one asks for
// a rebuild and shows in the next list, and that a Secret no longer named is no longer listed.
func TestNamedSecretsFollow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	secret := func(name string, typ corev1.SecretType, v string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name}, Type: typ, Data: map[string][]byte{"auth": []byte(v)}}
	}
	kube := kubefake.NewSimpleClientset(secret("users", corev1.SecretTypeOpaque, "1"), secret("other", corev1.SecretTypeOpaque, "x"), secret("tls", corev1.SecretTypeTLS, "x"))
	changes := make(chan struct{}, 100)
	a := newNamedSecrets(ctx, kube, func() { changes <- struct{}{} })
	a.follow(map[nsName]bool{{"shop", "users"}: true, {"shop", "tls"}: true, {"shop", "missing"}: true})
	if got := names(a.secrets()); got != "[shop/users]" {
		t.Fatalf("secrets %s, want only shop/users (not the unnamed one, not the TLS one)", got)
	}
	if _, err := kube.CoreV1().Secrets("shop").Update(ctx, secret("users", corev1.SecretTypeOpaque, "2"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		if s := a.secrets(); len(s) == 1 && string(s[0].Data["auth"]) == "2" {
			break
		}
		select {
		case <-changes:
		case <-deadline:
			t.Fatal("the update of the Secret was not seen")
		}
	}
	a.follow(map[nsName]bool{})
	if got := a.secrets(); len(got) != 0 || len(a.watches) != 0 {
		t.Errorf("after the name was dropped: secrets %s, %d watches", names(got), len(a.watches))
	}
}

func names(ss []corev1.Secret) string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Namespace+"/"+s.Name)
	}
	return fmt.Sprint(out)
}
