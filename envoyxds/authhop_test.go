package envoyxds

import (
	"slices"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/gatebridge/gatebridge/model"
)

// TestAuthHop checks that a fleet with external authentication gets the hop (an internal listener with
// one route per auth service, and the cluster that reaches it), that ext_authz sends there with the
// auth service's cluster in the hop's header, and that a fleet without external authentication gets
// nothing of it.
func TestAuthHop(t *testing.T) {
	tests := []struct {
		in   string
		want map[string][]string // by fleet, the auth services' clusters, sorted; none: no hop
	}{
		{in: "testdata/ingress-nginx-policies.in.yaml", want: map[string][]string{"ingress-gatebridge": {"outbound|80||oauth.sso.svc.cluster.local"}}},
		{in: "testdata/gwapi-routepolicy.in.yaml", want: map[string][]string{
			"gateway-infra-internal": {"outbound|80||oauth.sso.svc.cluster.local"},
			"gateway-infra-public":   {"outbound|80||oauth.sso.svc.cluster.local", "outbound|80||unresolved-backend.gatebridge.invalid"},
		}},
		{in: "testdata/gwapi-filter-cors.in.yaml"},
		{in: "testdata/ingress-nginx-canary.in.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			snap := loadModel(t, tt.in)
			for _, fleet := range snap.Fleets() {
				res, err := Translate(snap, fleet, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if err := res.Validate(); err != nil {
					t.Fatal(err)
				}
				checkAuthHop(t, res, tt.want[fleet])
				if len(tt.want[fleet]) > 0 {
					// The hop's routes name clusters like any route: a missing one is found.
					res.Clusters = slices.DeleteFunc(res.Clusters, func(c *clusterv3.Cluster) bool { return c.Name == tt.want[fleet][0] })
					if err := res.Validate(); err == nil || !strings.Contains(err.Error(), authHopName) {
						t.Errorf("without the auth cluster: %v, want an error naming %s", err, authHopName)
					}
				}
			}
		})
	}
}

func checkAuthHop(t *testing.T, res *Resources, want []string) {
	t.Helper()
	i := slices.IndexFunc(res.Listeners, func(l *listenerv3.Listener) bool { return l.Name == authHopName })
	hasCluster := slices.ContainsFunc(res.Clusters, func(c *clusterv3.Cluster) bool { return c.Name == authHopName })
	if len(want) == 0 {
		if i >= 0 || hasCluster {
			t.Errorf("a fleet without external authentication has the auth hop (listener %v, cluster %v)", i >= 0, hasCluster)
		}
		return
	}
	if i < 0 || !hasCluster {
		t.Fatalf("no auth hop (listener %v, cluster %v)", i >= 0, hasCluster)
	}
	l := res.Listeners[i]
	if l.GetInternalListener() == nil || l.Address != nil {
		t.Errorf("the hop listener is not internal: %v", l)
	}
	hcm, _ := networkFilter(l.FilterChains[0].Filters[0])
	var got []string
	for _, r := range hcm.GetRouteConfig().GetVirtualHosts()[0].GetRoutes() {
		h := r.Match.Headers[0]
		if h.Name != authHopHeader || h.GetStringMatch().GetExact() != r.GetRoute().GetCluster() {
			t.Errorf("route %s matches %v, want %s: its cluster", r.Name, h, authHopHeader)
		}
		got = append(got, r.GetRoute().GetCluster())
	}
	if !slices.Equal(got, want) {
		t.Errorf("hop routes to %v, want %v", got, want)
	}
	if names := filterNames(hcm); !slices.Equal(names, []string{"envoy.filters.http.lua", "envoy.filters.http.router"}) {
		t.Errorf("hop filters %v", names)
	}
	for _, rc := range res.Routes {
		for _, vh := range rc.VirtualHosts {
			for _, r := range vh.Routes {
				checkAuthHopUse(t, r.TypedPerFilterConfig[filterExtAuthz], want)
			}
		}
	}
}

// checkAuthHopUse checks a route's ext_authz configuration (if any): through the hop, naming one of the
// auth clusters.
func checkAuthHopUse(t *testing.T, cfg *anypb.Any, clusters []string) {
	t.Helper()
	if cfg == nil {
		return
	}
	per := &extauthzv3.ExtAuthzPerRoute{}
	fc := &routev3.FilterConfig{}
	if err := cfg.UnmarshalTo(fc); err != nil {
		t.Fatal(err)
	}
	if err := fc.Config.UnmarshalTo(per); err != nil {
		t.Fatal(err)
	}
	svc := per.GetCheckSettings().GetHttpService()
	if svc.GetServerUri().GetCluster() != authHopName {
		t.Errorf("ext_authz sends to %q, want the hop", svc.GetServerUri().GetCluster())
	}
	// The hop's headers come last, the method one never empty.
	hdrs := svc.GetAuthorizationRequest().GetHeadersToAdd()
	cluster, method := hdrs[len(hdrs)-2], hdrs[len(hdrs)-1]
	if cluster.Key != authHopHeader || !slices.Contains(clusters, cluster.Value) {
		t.Errorf("ext_authz adds %v next to last, want %s with one of %v", cluster, authHopHeader, clusters)
	}
	if method.Key != authHopMethodHeader || (method.Value != "%REQ(:method)%" && !slices.Contains(model.AuthMethods, method.Value)) {
		t.Errorf("ext_authz adds %v last, want %s with a method", method, authHopMethodHeader)
	}
}

func filterNames(hcm *hcmv3.HttpConnectionManager) []string {
	var out []string
	for _, f := range hcm.HttpFilters {
		out = append(out, f.Name)
	}
	return out
}
