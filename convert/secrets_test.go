package convert

import (
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestSecretMaterial checks that the snapshot carries the material of exactly the Secrets its servers
// name, and that validity is judged at Options.Now on every translation (level-based).
func TestSecretMaterial(t *testing.T) {
	input, err := LoadPaths("default", "testdata/tls-secret-one-bad-among-good.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	all := []string{"infra/a-tls", "infra/b-tls", "infra/c-tls", "web/a-tls", "web/b-tls", "web/c-tls"}
	tests := []struct {
		name     string
		now      time.Time
		want     []string
		resolved []string // listeners with ResolvedRefs=True
	}{
		{"at the golden clock b is expired", goldenNow.Time, []string{"infra/a-tls", "infra/c-tls", "web/a-tls", "web/c-tls"}, []string{"a", "c"}},
		{"in 2024 only b is valid", time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), []string{"infra/b-tls", "web/b-tls"}, []string{"b"}},
		{"after every certificate expired", time.Date(2037, 1, 1, 0, 0, 0, 0, time.UTC), nil, nil},
		{"no clock: validity not checked", time.Time{}, all, []string{"a", "b", "c", "both"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Translate(input, Options{Now: metav1.NewTime(tt.now)})
			var got []string
			for _, s := range res.Snapshot.Secrets {
				if len(s.Cert) == 0 || len(s.Key) == 0 {
					t.Errorf("secret %s has no material", s.Name)
				}
				got = append(got, s.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("material for %v, want %v", got, tt.want)
			}
			for _, l := range []string{"a", "b", "c", "both"} {
				if got, want := listenerResolved(res, l), slices.Contains(tt.resolved, l); got != want {
					t.Errorf("listener %s ResolvedRefs=%t, want %t", l, got, want)
				}
			}
		})
	}
}

func listenerResolved(res Result, listener string) bool {
	st := res.Status.Gateways[ObjectRef{Kind: "Gateway", Namespace: "infra", Name: "gw"}]
	for _, l := range st.Listeners {
		if string(l.Name) != listener {
			continue
		}
		for _, c := range l.Conditions {
			if c.Type == string(gwapiv1.ListenerConditionResolvedRefs) {
				return c.Status == metav1.ConditionTrue
			}
		}
	}
	return false
}
