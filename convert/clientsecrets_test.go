package convert

import (
	"bytes"
	"testing"
	"time"

	istionet "istio.io/api/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/certs"
	"github.com/gatebridge/gatebridge/internal/pki"
	"github.com/gatebridge/gatebridge/model"
)

// TestClientMaterial checks that the credentials DestinationRules name for TLS origination reach the
// snapshot with their CA (and, for MUTUAL, their certificate and key), and that a Secret that cannot
// give what the mode needs is left out with a warning on the objects the rule was built from.
func TestClientMaterial(t *testing.T) {
	ca, err := pki.NewCA("convert client test")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.IssueNow("client.example.com")
	if err != nil {
		t.Fatal(err)
	}
	secret := func(name string, data map[string][]byte) corev1.Secret {
		return corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name}, Data: data}
	}
	secrets := []corev1.Secret{
		secret("backend-ca", map[string][]byte{"ca.crt": ca.CertPEM}),
		secret("client", map[string][]byte{"ca.crt": ca.CertPEM, "tls.crt": leaf.CertPEM, "tls.key": leaf.KeyPEM}),
	}
	tls := func(mode istionet.ClientTLSSettings_TLSmode, cred string) *istionet.TrafficPolicy {
		return &istionet.TrafficPolicy{Tls: &istionet.ClientTLSSettings{Mode: mode, CredentialName: cred}}
	}
	dr := model.DestinationRule{
		Meta: model.Meta{Name: "app", Namespace: "shop", Sources: []string{"Ingress/shop/app"}},
		Spec: &istionet.DestinationRule{Host: "app.shop.svc.cluster.local", TrafficPolicy: tls(istionet.ClientTLSSettings_SIMPLE, "shop/backend-ca"),
			Subsets: []*istionet.Subset{
				{Name: "mutual", TrafficPolicy: tls(istionet.ClientTLSSettings_MUTUAL, "shop/client")},
				{Name: "mutual-without-pair", TrafficPolicy: tls(istionet.ClientTLSSettings_MUTUAL, "shop/backend-ca")},
				{Name: "missing", TrafficPolicy: tls(istionet.ClientTLSSettings_SIMPLE, "shop/nowhere")},
				{Name: "system-roots", TrafficPolicy: tls(istionet.ClientTLSSettings_SIMPLE, "")},
			}},
	}
	tr := &translator{secrets: certs.Validate(secrets, time.Now()), result: Result{Snapshot: model.Snapshot{DestinationRules: []model.DestinationRule{dr}}}}
	tr.addSecrets()
	got := map[string]model.TLSSecret{}
	for _, s := range tr.result.Snapshot.Secrets {
		got[s.Name] = s
	}
	if s := got["shop/backend-ca"]; len(got) != 2 || !bytes.Equal(s.CA, ca.CertPEM) || len(s.Cert) != 0 || len(s.Key) != 0 {
		t.Errorf("shop/backend-ca: %d secrets, CA %t, pair %t; want the CA only", len(got), len(s.CA) > 0, len(s.Cert) > 0)
	}
	if s := got["shop/client"]; !bytes.Equal(s.CA, ca.CertPEM) || !bytes.Equal(s.Cert, leaf.CertPEM) || !bytes.Equal(s.Key, leaf.KeyPEM) {
		t.Errorf("shop/client: CA %t, certificate %t, key %t; want all", len(s.CA) > 0, len(s.Cert) > 0, len(s.Key) > 0)
	}
	want := map[string]bool{"shop/backend-ca": false, "shop/nowhere": false}
	systemRoots := false
	for _, n := range tr.result.Notes {
		if n.Reason == "UnsupportedBackendTLS" && n.Object.Name == "app" {
			systemRoots = true
			continue
		}
		if n.Object != (ObjectRef{Kind: "Ingress", Namespace: "shop", Name: "app"}) || n.Reason != "InvalidBackendTLSSecret" || n.Type != NoteWarning {
			t.Errorf("unexpected note %s", n)
			continue
		}
		for name := range want {
			if bytes.Contains([]byte(n.Message), []byte("secret "+name+" ")) || bytes.Contains([]byte(n.Message), []byte("secret "+name+":")) {
				want[name] = true
			}
		}
	}
	if !systemRoots {
		t.Errorf("no warning for verification against the system's roots in %v", tr.result.Notes)
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("no warning for %s in %v", name, tr.result.Notes)
		}
	}
}
