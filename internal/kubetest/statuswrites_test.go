package kubetest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// TestStatusWrites checks that only status writes are recorded, refused ones too, and that the config
// given is left as it was.
func TestStatusWrites(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPut && r.URL.Path == "/apis/networking.k8s.io/v1/namespaces/ns/ingresses/refused/status" {
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Conflict","code":409}`))
			return
		}
		w.Write([]byte(`{"kind":"Ingress","apiVersion":"networking.k8s.io/v1"}`))
	}))
	defer api.Close()
	base := &rest.Config{Host: api.URL}
	var writes StatusWrites
	cs, err := kubernetes.NewForConfig(writes.Wrap(base))
	if err != nil {
		t.Fatal(err)
	}
	ings := cs.NetworkingV1().Ingresses("ns")
	ctx := t.Context()
	ing := func(name string) *networkingv1.Ingress {
		return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}}
	}
	if _, err := ings.Get(ctx, "a", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ings.Update(ctx, ing("a"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ings.UpdateStatus(ctx, ing("a"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ings.UpdateStatus(ctx, ing("refused"), metav1.UpdateOptions{}); err == nil {
		t.Fatal("the refused status write succeeded")
	}
	want := []string{
		"/apis/networking.k8s.io/v1/namespaces/ns/ingresses/a/status",
		"/apis/networking.k8s.io/v1/namespaces/ns/ingresses/refused/status",
	}
	if got := writes.Since(0); !slices.Equal(got, want) {
		t.Errorf("recorded %v, want %v", got, want)
	}
	if got := writes.Since(1); writes.Len() != 2 || !slices.Equal(got, want[1:]) {
		t.Errorf("Len %d, Since(1) %v, want 2 and %v", writes.Len(), got, want[1:])
	}
	if base.WrapTransport != nil {
		t.Error("Wrap changed the config it was given")
	}
}
