package model

import (
	"errors"
	"strings"
	"testing"

	istionet "istio.io/api/networking/v1"
)

func route(mut func(r *istionet.HTTPRoute)) *istionet.HTTPRoute {
	r := &istionet.HTTPRoute{
		Name:  "r",
		Match: []*istionet.HTTPMatchRequest{{Uri: &istionet.StringMatch{MatchType: &istionet.StringMatch_Prefix{Prefix: "/"}}}},
		Route: []*istionet.HTTPRouteDestination{{Destination: &istionet.Destination{Host: "a.ns.svc.cluster.local"}}},
	}
	if mut != nil {
		mut(r)
	}
	return r
}

func snapshotWith(r *istionet.HTTPRoute) *Snapshot {
	return &Snapshot{VirtualServices: []VirtualService{{
		Meta: Meta{Name: "vs", Namespace: "ns", Fleet: "f"},
		Spec: &istionet.VirtualService{Hosts: []string{"a.example.com"}, Http: []*istionet.HTTPRoute{r}},
	}}}
}

func TestValidate(t *testing.T) {
	regex := func(s string) *istionet.StringMatch {
		return &istionet.StringMatch{MatchType: &istionet.StringMatch_Regex{Regex: s}}
	}
	tests := []struct {
		name    string
		route   *istionet.HTTPRoute
		wantErr string
	}{
		{"valid", route(nil), ""},
		{"valid direct response", route(func(r *istionet.HTTPRoute) {
			r.Route = nil
			r.DirectResponse = &istionet.HTTPDirectResponse{Status: 500}
		}), ""},
		{"no action", route(func(r *istionet.HTTPRoute) { r.Route = nil }), "0 actions"},
		{"two actions", route(func(r *istionet.HTTPRoute) { r.Redirect = &istionet.HTTPRedirect{} }), "2 actions"},
		{"bad path regex", route(func(r *istionet.HTTPRoute) { r.Match[0].Uri = regex("/(") }), "regex"},
		{"bad header regex", route(func(r *istionet.HTTPRoute) {
			r.Match[0].Headers = map[string]*istionet.StringMatch{"x": regex("[")}
		}), "regex"},
		{"destination without host", route(func(r *istionet.HTTPRoute) { r.Route[0].Destination.Host = "" }), "without host"},
		{"bad rewrite regex", route(func(r *istionet.HTTPRoute) {
			r.Rewrite = &istionet.HTTPRewrite{UriRegexRewrite: &istionet.RegexRewrite{Match: "(", Rewrite: "/"}}
		}), "rewrite regex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := snapshotWith(tt.route).Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want ErrInvalid mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestDocumentsAreStable(t *testing.T) {
	s := snapshotWith(route(func(r *istionet.HTTPRoute) {
		r.Headers = &istionet.Headers{Request: &istionet.Headers_HeaderOperations{Set: map[string]string{"b": "2", "a": "1", "c": "3"}}}
	}))
	s.Services = []Service{{Name: "a", Namespace: "ns", Host: "a.ns.svc.cluster.local", Ports: []ServicePort{{Number: 80, Protocol: ProtocolHTTP}}}}
	var first string
	for i := range 20 {
		out := printSnapshot(t, s)
		if i == 0 {
			first = out
			if !strings.Contains(first, "apiVersion: networking.istio.io/v1\nkind: VirtualService") || !strings.Contains(first, "kind: BackendService") {
				t.Fatalf("unexpected output:\n%s", out)
			}
			continue
		}
		if out != first {
			t.Fatalf("output changed between runs:\n%s\n---\n%s", first, out)
		}
	}
	docs, _ := s.Documents(PrintOptions{})
	if len(docs) != 1 {
		t.Errorf("without Services, got %d documents, want 1", len(docs))
	}
}

func TestParseYAMLRoundTrip(t *testing.T) {
	s := snapshotWith(route(nil))
	s.VirtualServices[0].Sources = []string{"HTTPRoute/ns/a", "HTTPRoute/ns/b"}
	s.VirtualServices[0].Origin = OriginGatewayAPI
	s.Gateways = []Gateway{{Meta: Meta{Name: "gw", Namespace: "ns", Fleet: "f", Origin: OriginGatewayAPI},
		Spec: &istionet.Gateway{Servers: []*istionet.Server{{Port: &istionet.Port{Number: 80, Protocol: "HTTP", Name: "http"}, Hosts: []string{"*"}}}}}}
	s.Services = []Service{{Name: "a", Namespace: "ns", Host: "a.ns.svc.cluster.local", Ports: []ServicePort{{Number: 80, Protocol: ProtocolHTTP, Endpoints: []Endpoint{{Address: "10.0.0.1", Port: 8080}}}}}}
	first := printSnapshot(t, s)
	parsed, err := ParseYAML(strings.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	if again := printSnapshot(t, parsed); again != first {
		t.Fatalf("round trip changed the snapshot:\n%s\n---\n%s", first, again)
	}
	if _, err := ParseYAML(strings.NewReader("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n")); err == nil {
		t.Errorf("a document outside the model was accepted")
	}
}

// printSnapshot prints a snapshot with its Services, as golden files hold it.
func printSnapshot(t *testing.T, s *Snapshot) string {
	t.Helper()
	docs, err := s.Documents(PrintOptions{Services: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := YAML(docs)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
