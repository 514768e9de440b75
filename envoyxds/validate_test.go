package envoyxds

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"github.com/gatebridge/gatebridge/internal/pki"
)

// goldenResources translates a golden input for its first fleet, with TLS material for its secrets.
func goldenResources(t *testing.T, name string) *Resources {
	t.Helper()
	snap := loadModel(t, "testdata/"+name+".in.yaml")
	res, err := Translate(snap, snap.Fleets()[0], Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestValidate(t *testing.T) {
	ca, err := pki.NewCA("validate")
	if err != nil {
		t.Fatal(err)
	}
	otherLeaf, err := ca.IssueNow("other.example.com")
	if err != nil {
		t.Fatal(err)
	}
	firstRoute := func(t *testing.T, r *Resources) *routev3.Route {
		routes := forwardingRoutes(r)
		if len(routes) == 0 {
			t.Fatal("no forwarding route")
		}
		return routes[0]
	}
	cases := []struct {
		name    string
		golden  string
		breakIt func(t *testing.T, r *Resources)
		want    string // empty: valid
	}{
		{name: "translated resources are valid", golden: "ingress-tls"},
		{name: "unresolved backend answering 500 is valid", golden: "gwapi-backends-weighted"},
		{name: "route to a cluster that is not defined", golden: "ingress-tls", breakIt: func(t *testing.T, r *Resources) {
			firstRoute(t, r).GetRoute().ClusterSpecifier = &routev3.RouteAction_Cluster{Cluster: "outbound|80||nowhere"}
		}, want: `uses cluster "outbound|80||nowhere"`},
		{name: "unresolved backend without the 500 answer", golden: "gwapi-backends-weighted", breakIt: func(t *testing.T, r *Resources) {
			for _, rt := range forwardingRoutes(r) {
				rt.GetRoute().ClusterNotFoundResponseCode = routev3.RouteAction_SERVICE_UNAVAILABLE
			}
		}, want: `uses cluster "unresolved-backend"`},
		{name: "cluster without endpoints resource", golden: "ingress-tls", breakIt: func(t *testing.T, r *Resources) {
			r.Endpoints = r.Endpoints[1:]
		}, want: "uses endpoints"},
		{name: "listener loading a secret that is not served", golden: "ingress-tls", breakIt: func(t *testing.T, r *Resources) {
			r.Secrets = r.Secrets[1:]
		}, want: "uses secret"},
		{name: "listener loading routes that are not served", golden: "ingress-tls", breakIt: func(t *testing.T, r *Resources) {
			r.Routes = r.Routes[1:]
		}, want: "uses route configuration"},
		{name: "certificate and key of different pairs", golden: "ingress-tls", breakIt: func(t *testing.T, r *Resources) {
			r.Secrets[0].GetTlsCertificate().PrivateKey = &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: otherLeaf.KeyPEM}}
		}, want: "certificate and key"},
		{name: "TLS origination from DestinationRules is valid", golden: "dr-tls-origination"},
		{name: "cluster loading a CA secret that is not served", golden: "dr-tls-origination", breakIt: func(t *testing.T, r *Resources) {
			r.Secrets = slices.DeleteFunc(r.Secrets, func(s *tlsv3.Secret) bool { return strings.HasSuffix(s.Name, CASecretSuffix) })
		}, want: `uses secret "shop/client-cert-cacert"`},
		{name: "CA secret whose certificates do not parse", golden: "dr-tls-origination", breakIt: func(t *testing.T, r *Resources) {
			for _, s := range r.Secrets {
				if vc := s.GetValidationContext(); vc != nil {
					vc.TrustedCa = &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: otherLeaf.KeyPEM}}
				}
			}
		}, want: "no CA certificate parses"},
		{name: "regex RE2 does not take", golden: "ingress-tls", breakIt: func(t *testing.T, r *Resources) {
			firstRoute(t, r).Match.PathSpecifier = &routev3.RouteMatch_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: "/(a"}}
		}, want: "regex"},
		{name: "invalid message inside an Any", golden: "ingress-tls", breakIt: func(t *testing.T, r *Resources) {
			hcm := &hcmv3.HttpConnectionManager{} // no stat prefix, no route specifier
			r.Listeners[0].FilterChains[0].Filters[0].ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: typed(hcm)}
		}, want: "StatPrefix"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := goldenResources(t, tc.golden)
			if tc.breakIt != nil {
				tc.breakIt(t, r)
			}
			err := r.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("Validate accepted resources that should fail with %q", tc.want)
			case tc.want != "" && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate: %v, want an ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
}

// TestHTTPSWithoutCertificateBesideTLSRoutes puts an HTTPS server whose certificate is missing on the
// port of TLS passthrough routes: it gets no chain, so no route configuration may be left for it (the
// xDS cache would refuse the snapshot that Validate passed).
func TestHTTPSWithoutCertificateBesideTLSRoutes(t *testing.T) {
	snap := loadModel(t, "testdata/gwapi-tlsroute.in.yaml")
	for _, srv := range snap.Gateways[0].Spec.Servers {
		if srv.Name == "https" {
			srv.Port.Number = 443
			srv.Tls.CredentialNames = []string{"infra/x-missing"}
		}
	}
	res, err := Translate(snap, snap.Fleets()[0], Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	for _, rc := range res.Routes {
		if rc.Name == routeConfigName(443) {
			t.Errorf("route configuration %s is left although no chain of port 443 loads it", rc.Name)
		}
	}
	if _, err := NewServer(discardLog()).Update(context.Background(), "f", res); err != nil {
		t.Errorf("Update refused what Validate accepted: %v", err)
	}
}

// forwardingRoutes are the routes of every virtual host that forward to clusters.
func forwardingRoutes(r *Resources) []*routev3.Route {
	var out []*routev3.Route
	for _, rc := range r.Routes {
		for _, vh := range rc.VirtualHosts {
			for _, rt := range vh.Routes {
				if rt.GetRoute() != nil {
					out = append(out, rt)
				}
			}
		}
	}
	return out
}
