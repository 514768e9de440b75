package envoyxds

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/gatebridge/gatebridge/internal/eventually"
)

// rowText prints a row the way the tests compare them: "PORT CONFIG DOMAINS | MATCH | ACTION".
func rowText(r RouteRow) string {
	return fmt.Sprintf("%d %s %s | %s | %s", r.Port, r.RouteConfig, strings.Join(r.Domains, ","), r.Match, r.Action)
}

func TestRouteTable(t *testing.T) {
	const (
		v1 = "outbound|80||checkout-v1.app.svc.cluster.local"
		v2 = "outbound|80||checkout-v2.app.svc.cluster.local"
	)
	tests := []struct {
		name string
		res  func(t *testing.T) *Resources
		want []string
	}{
		{"weights and an unresolved backend", fromGolden("gwapi-backends-weighted"), []string{
			"80 http.80 * | * | respond 404 (no routes)",
			"80 http.80 broken.example.com | path=/wrong-port | respond 500",
			"80 http.80 broken.example.com | prefix=/wrong-port/ | respond 500",
			"80 http.80 broken.example.com | path=/bucket | respond 500",
			"80 http.80 broken.example.com | prefix=/bucket/ | respond 500",
			"80 http.80 broken.example.com | path=/half | " + v1 + " 50%, (unresolved: 500) 50%",
			"80 http.80 broken.example.com | prefix=/half/ | " + v1 + " 50%, (unresolved: 500) 50%",
			"80 http.80 broken.example.com | path=/none | respond 500",
			"80 http.80 broken.example.com | prefix=/none/ | respond 500",
			"80 http.80 canary.example.com | prefix=/ | " + v1 + " 90%, " + v2 + " 10%",
		}},
		{"headers, query parameters and methods", fromGolden("gwapi-httproute-header-query-method"), []string{
			"80 http.80 * | * | respond 404 (no routes)",
			"80 http.80 api.example.com | path=/api/upload method=POST | outbound|8080||uploads.app.svc.cluster.local",
			"80 http.80 api.example.com | path=/api/upload method=PUT | outbound|8080||uploads.app.svc.cluster.local",
			"80 http.80 api.example.com | path=/api header:user-agent~=.*Mobile.* header:x-version=2 | outbound|8080||api-v2.app.svc.cluster.local",
			"80 http.80 api.example.com | prefix=/api/ header:user-agent~=.*Mobile.* header:x-version=2 | outbound|8080||api-v2.app.svc.cluster.local",
			"80 http.80 api.example.com | path=/api | outbound|8080||api-v1.app.svc.cluster.local",
			"80 http.80 api.example.com | prefix=/api/ | outbound|8080||api-v1.app.svc.cluster.local",
			"80 http.80 api.example.com | prefix=/ query:debug=true query:tenant~=^t-[0-9]+$ | outbound|8080||api-debug.app.svc.cluster.local",
		}},
		{"redirects", fromGolden("gwapi-filter-request-redirect"), []string{
			"80 http.80 * | * | respond 404 (no routes)",
			"80 http.80 old.example.com | path=/old-page | redirect 302 {scheme}://{host}/new-page",
			"80 http.80 old.example.com | path=/secure | redirect 301 https://{host}{path}",
			"80 http.80 old.example.com | prefix=/secure/ | redirect 301 https://{host}{path}",
			"80 http.80 old.example.com | path=/legacy | redirect 302 {scheme}://{host}/",
			"80 http.80 old.example.com | prefix=/legacy/ | redirect 302 {scheme}://{host}/{rest of path}",
			"80 http.80 old.example.com | path=/moved | redirect 302 {scheme}://new.example.com:8443{path}",
			"80 http.80 old.example.com | prefix=/moved/ | redirect 302 {scheme}://new.example.com:8443{path}",
			"80 http.80 old.example.com | path=/blog | redirect 302 {scheme}://blog.example.com/articles",
			"80 http.80 old.example.com | prefix=/blog/ | redirect 302 {scheme}://blog.example.com/articles/{rest of path}",
		}},
		{"mirrors", fromGolden("gwapi-filter-mirror"), []string{
			"80 http.80 * | * | respond 404 (no routes)",
			"80 http.80 mirror.example.com | path=/payments | outbound|80||orders.app.svc.cluster.local",
			"80 http.80 mirror.example.com | prefix=/payments/ | outbound|80||orders.app.svc.cluster.local",
			"80 http.80 mirror.example.com | path=/orders | outbound|80||orders.app.svc.cluster.local; mirror=outbound|8080||shadow.app.svc.cluster.local; mirror=outbound|9000||audit.app.svc.cluster.local",
			"80 http.80 mirror.example.com | prefix=/orders/ | outbound|80||orders.app.svc.cluster.local; mirror=outbound|8080||shadow.app.svc.cluster.local; mirror=outbound|9000||audit.app.svc.cluster.local",
		}},
		{"tls routes by sni", fromGolden("gwapi-tlsroute"), []string{
			"443  *.example.com | tls passthrough | outbound|443||tls-default.data.svc.cluster.local",
			"443  db.example.com | tls passthrough | outbound|5432||postgres.data.svc.cluster.local 80%, (unresolved: connection closed) 20%",
			"8443  secure.example.com | tls terminated | outbound|7000||plain-tcp.data.svc.cluster.local",
			"9443 https.9443.https *.example.com | * | respond 404 (no routes)",
			"9443 https.9443.https db.example.com | * | respond 404 (no routes)",
			"9443 https.9443.https secure.example.com | * | respond 404 (no routes)",
			"9443 https.9443.https web.example.com | * | respond 404 (no routes)",
		}},
		{"each https chain has its own route configuration, the hosts of the others answer 421", fromGolden("ingress-tls"), []string{
			"80 http.80 * | * | respond 404 (no routes)",
			"80 http.80 blog.example.com | prefix=/ | outbound|80||blog.blog.svc.cluster.local",
			"80 http.80 news.example.com | prefix=/ | outbound|80||blog.blog.svc.cluster.local",
			"80 http.80 pay.example.com | prefix=/ | outbound|80||pay.shop.svc.cluster.local",
			"80 http.80 shop.example.com | prefix=/ | outbound|80||shop.shop.svc.cluster.local",
			"443 https.443.https-blog-blog-tls blog.example.com | prefix=/ | outbound|80||blog.blog.svc.cluster.local",
			"443 https.443.https-blog-blog-tls news.example.com | prefix=/ | outbound|80||blog.blog.svc.cluster.local",
			"443 https.443.https-blog-blog-tls pay.example.com | prefix=/ | outbound|80||pay.shop.svc.cluster.local",
			"443 https.443.https-blog-blog-tls shop.example.com | prefix=/ | respond 421",
			"443 https.443.https-shop-shop-tls blog.example.com | prefix=/ | respond 421",
			"443 https.443.https-shop-shop-tls news.example.com | prefix=/ | respond 421",
			"443 https.443.https-shop-shop-tls pay.example.com | prefix=/ | outbound|80||pay.shop.svc.cluster.local",
			"443 https.443.https-shop-shop-tls shop.example.com | prefix=/ | outbound|80||shop.shop.svc.cluster.local",
		}},
		{"conditions and actions translation does not make", func(*testing.T) *Resources { return handBuilt() }, []string{
			`18080 http.8080 a.example.com,www.a.example.com | regex=^/v[0-9]+/ (path in any case) header:x-debug !header:x-skip !header:x-env=prod header:x-n in [1,10) header:x-suffix$=.js header:x-tag*=beta(any case) query:q query:name="a b" | respond 204`,
			"18080 http.8080 a.example.com,www.a.example.com | prefix=/h | cluster named by header x-cluster",
			"18080 http.8080 a.example.com,www.a.example.com | path=/split | a 33.3%, b 33.3%, (unresolved: 404) 33.3%",
			"18080 http.8080 a.example.com,www.a.example.com | prefix=/old | redirect 308 https://{host}{path with ^/old replaced by /new} (query dropped)",
			"0 http.9999 * | prefix=/ | (unresolved: 503)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range RouteTable(tt.res(t)) {
				got = append(got, rowText(r))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("route table (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRouteTableBackends(t *testing.T) {
	rows := RouteTable(goldenResources(t, "gwapi-backends-weighted"))
	byName := map[string][]Backend{}
	for _, r := range rows {
		byName[strings.Join(r.Domains, ",")+r.Match] = r.Backends
	}
	want := map[string][]Backend{
		"canary.example.comprefix=/": {
			{Cluster: "outbound|80||checkout-v1.app.svc.cluster.local", Weight: 90, Percent: 90},
			{Cluster: "outbound|80||checkout-v2.app.svc.cluster.local", Weight: 10, Percent: 10},
		},
		"broken.example.compath=/half": {
			{Cluster: "outbound|80||checkout-v1.app.svc.cluster.local", Weight: 50, Percent: 50},
			{Cluster: UnresolvedCluster, Weight: 50, Percent: 50, Unresolved: true, Status: 500},
		},
		"broken.example.compath=/none": nil,
	}
	for key, w := range want {
		got, ok := byName[key]
		if !ok {
			t.Errorf("no row for %s", key)
			continue
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("backends of %s (-want +got):\n%s", key, diff)
		}
	}
}

func fromGolden(name string) func(t *testing.T) *Resources {
	return func(t *testing.T) *Resources { return goldenResources(t, name) }
}

// handBuilt holds route features translation does not produce today, and a route configuration no
// listener uses.
func handBuilt() *Resources {
	str := func(m *matcherv3.StringMatcher) *routev3.HeaderMatcher_StringMatch {
		return &routev3.HeaderMatcher_StringMatch{StringMatch: m}
	}
	forward := func(ra *routev3.RouteAction) *routev3.Route_Route { return &routev3.Route_Route{Route: ra} }
	weighted := func(names ...string) *routev3.RouteAction_WeightedClusters {
		wc := &routev3.WeightedCluster{}
		for _, n := range names {
			wc.Clusters = append(wc.Clusters, &routev3.WeightedCluster_ClusterWeight{Name: n, Weight: wrapperspb.UInt32(1)})
		}
		return &routev3.RouteAction_WeightedClusters{WeightedClusters: wc}
	}
	conditions := &routev3.RouteMatch{
		PathSpecifier: &routev3.RouteMatch_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: "^/v[0-9]+/"}},
		CaseSensitive: wrapperspb.Bool(false),
		Headers: []*routev3.HeaderMatcher{
			{Name: "x-debug", HeaderMatchSpecifier: &routev3.HeaderMatcher_PresentMatch{PresentMatch: true}},
			{Name: "x-skip", HeaderMatchSpecifier: &routev3.HeaderMatcher_PresentMatch{PresentMatch: false}},
			{Name: "x-env", InvertMatch: true, HeaderMatchSpecifier: str(&matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: "prod"}})},
			{Name: "x-n", HeaderMatchSpecifier: &routev3.HeaderMatcher_RangeMatch{RangeMatch: &typev3.Int64Range{Start: 1, End: 10}}},
			{Name: "x-suffix", HeaderMatchSpecifier: str(&matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Suffix{Suffix: ".js"}})},
			{Name: "x-tag", HeaderMatchSpecifier: str(&matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Contains{Contains: "beta"}, IgnoreCase: true})},
		},
		QueryParameters: []*routev3.QueryParameterMatcher{
			{Name: "q", QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_PresentMatch{PresentMatch: true}},
			{Name: "name", QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: "a b"}}}},
		},
	}
	vh := &routev3.VirtualHost{Name: "a", Domains: []string{"a.example.com", "www.a.example.com"}, Routes: []*routev3.Route{
		{Name: "conditions", Match: conditions, Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: 204}}},
		{Name: "by-header", Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/h"}},
			Action: forward(&routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_ClusterHeader{ClusterHeader: "x-cluster"}})},
		{Name: "three-way", Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Path{Path: "/split"}},
			Action: forward(&routev3.RouteAction{ClusterSpecifier: weighted("a", "b", "c"), ClusterNotFoundResponseCode: routev3.RouteAction_NOT_FOUND})},
		{Name: "moved", Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/old"}},
			Action: &routev3.Route_Redirect{Redirect: &routev3.RedirectAction{
				SchemeRewriteSpecifier: &routev3.RedirectAction_HttpsRedirect{HttpsRedirect: true},
				PathRewriteSpecifier: &routev3.RedirectAction_RegexRewrite{RegexRewrite: &matcherv3.RegexMatchAndSubstitute{
					Pattern: &matcherv3.RegexMatcher{Regex: "^/old"}, Substitution: "/new"}},
				ResponseCode: routev3.RedirectAction_PERMANENT_REDIRECT, StripQuery: true,
			}}},
	}}
	orphan := &routev3.RouteConfiguration{Name: "http.9999", VirtualHosts: []*routev3.VirtualHost{{Name: "any", Domains: []string{"*"}, Routes: []*routev3.Route{
		{Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}}, Action: forward(&routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: "missing"}})},
	}}}}
	return &Resources{
		Listeners: []*listenerv3.Listener{{Name: "listener.8080", Address: socketAddress("0.0.0.0", 18080),
			FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{httpConnectionManager(8080, false, routeConfigName(8080), nil, nil)}}}}},
		Routes:   []*routev3.RouteConfiguration{{Name: "http.8080", VirtualHosts: []*routev3.VirtualHost{vh}}, orphan},
		Clusters: []*clusterv3.Cluster{{Name: "a"}, {Name: "b"}},
	}
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// get fetches a debug page and returns its status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestDebugHandler(t *testing.T) {
	ctx := context.Background()
	s := NewServer(discardLog())
	weighted, tls := goldenResources(t, "gwapi-backends-weighted"), goldenResources(t, "ingress-tls")
	pushed := map[string]string{} // fleet → the version Update returned
	for fleet, res := range map[string]*Resources{"gateway-infra-gw": weighted, "ingress-gatebridge": tls} {
		v, err := s.Update(ctx, fleet, res)
		if err != nil {
			t.Fatal(err)
		}
		pushed[fleet] = v
	}
	bad := &Resources{Routes: []*routev3.RouteConfiguration{{Name: "http.80", VirtualHosts: []*routev3.VirtualHost{{Name: "x", Domains: []string{"*"},
		Routes: []*routev3.Route{{Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: "("}}},
			Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: 200}}}}}}}}}
	if _, err := s.Update(ctx, "gateway-broken", bad); err == nil {
		t.Fatal("an invalid regex was accepted")
	}
	srv := httptest.NewServer(s.DebugHandler())
	defer srv.Close()

	t.Run("xds", func(t *testing.T) {
		code, body := get(t, srv.URL+"/debug/xds")
		var out struct{ Fleets []debugFleet }
		if err := json.Unmarshal([]byte(body), &out); code != http.StatusOK || err != nil {
			t.Fatalf("status %d, decode: %v\n%s", code, err, body)
		}
		var fleets []string
		for _, f := range out.Fleets {
			fleets = append(fleets, f.Fleet)
			if f.Fleet != "gateway-broken" && (f.Version != pushed[f.Fleet] || f.Resources == nil || f.Resources.Routes == 0) {
				t.Errorf("fleet %s: version %q (want %q), resources %+v", f.Fleet, f.Version, pushed[f.Fleet], f.Resources)
			}
			if f.Fleet == "gateway-broken" && (!strings.Contains(f.Error, "regex") || f.Resources != nil) {
				t.Errorf("fleet gateway-broken: error %q, resources %+v", f.Error, f.Resources)
			}
			if f.Fleet == "ingress-gatebridge" && !cmp.Equal(f.Secrets, []string{"blog/blog-tls", "shop/shop-tls"}) {
				t.Errorf("secrets %v, want [blog/blog-tls shop/shop-tls]", f.Secrets)
			}
		}
		if diff := cmp.Diff([]string{"gateway-broken", "gateway-infra-gw", "ingress-gatebridge"}, fleets); diff != "" {
			t.Errorf("fleets (-want +got):\n%s", diff)
		}
	})
	t.Run("routes as text, one fleet", func(t *testing.T) {
		code, body := get(t, srv.URL+"/debug/routes?fleet=gateway-infra-gw")
		if code != http.StatusOK || strings.Contains(body, "ingress-gatebridge") || !strings.Contains(body, "fleet gateway-infra-gw  version "+pushed["gateway-infra-gw"]) {
			t.Fatalf("status %d:\n%s", code, body)
		}
		for _, want := range []string{"ROUTE CONFIG", "checkout-v2.app.svc.cluster.local 10%", "(unresolved: 500) 50%", "app/canary/rules[0]/matches[0]"} {
			if !strings.Contains(body, want) {
				t.Errorf("routes lack %q:\n%s", want, body)
			}
		}
	})
	t.Run("routes as json", func(t *testing.T) {
		code, body := get(t, srv.URL+"/debug/routes?format=json")
		var out struct{ Fleets []FleetRoutes }
		if err := json.Unmarshal([]byte(body), &out); code != http.StatusOK || err != nil || len(out.Fleets) != 3 {
			t.Fatalf("status %d, decode: %v\n%s", code, err, body)
		}
		if diff := cmp.Diff(RouteTable(tls), out.Fleets[2].Routes); out.Fleets[2].Fleet != "ingress-gatebridge" || diff != "" {
			t.Errorf("fleet %s routes (-want +got):\n%s", out.Fleets[2].Fleet, diff)
		}
		if len(out.Fleets[0].Routes) != 0 || out.Fleets[0].Fleet != "gateway-broken" {
			t.Errorf("a fleet served nothing lists routes: %+v", out.Fleets[0])
		}
	})
	t.Run("errors and index", func(t *testing.T) {
		for path, want := range map[string]int{
			"/debug/routes?fleet=nope":          http.StatusNotFound,
			"/debug/xds?fleet=nope":             http.StatusNotFound,
			"/debug/routes?format=xml":          http.StatusBadRequest,
			"/debug/nothing":                    http.StatusNotFound,
			"/":                                 http.StatusFound,
			"/debug/xds?fleet=gateway-infra-gw": http.StatusOK,
		} {
			if code, body := get(t, srv.URL+path); code != want {
				t.Errorf("%s: status %d, want %d: %s", path, code, want, body)
			}
		}
		code, body := get(t, srv.URL+"/debug/")
		if code != http.StatusOK || !strings.Contains(body, `href="routes?fleet=ingress-gatebridge"`) || !strings.Contains(body, `href="xds"`) {
			t.Errorf("index: status %d:\n%s", code, body)
		}
	})
	t.Run("no key material", func(t *testing.T) {
		// As PEM, or as JSON prints bytes (base64).
		forms := []string{"PRIVATE KEY", "CERTIFICATE"}
		for _, sec := range tls.Secrets {
			for _, b := range [][]byte{sec.GetTlsCertificate().GetPrivateKey().GetInlineBytes(), sec.GetTlsCertificate().GetCertificateChain().GetInlineBytes()} {
				if len(b) == 0 {
					t.Fatalf("secret %s has no material to look for", sec.Name)
				}
				forms = append(forms, base64.StdEncoding.EncodeToString(b))
			}
		}
		for _, path := range []string{"/debug/", "/debug/xds", "/debug/routes", "/debug/routes?format=json"} {
			_, body := get(t, srv.URL+path)
			for _, form := range forms {
				if strings.Contains(body, form) {
					t.Errorf("%s shows TLS material (%.20s...)", path, form)
				}
			}
		}
	})
}

// adsClient is one fake Envoy of a fleet on an ADS stream, asking for clusters only.
type adsClient struct {
	t      *testing.T
	stream discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	node   *corev3.Node
}

func dialADS(ctx context.Context, t *testing.T, addr, node, fleet string) *adsClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := &adsClient{t: t, stream: stream, node: &corev3.Node{Id: node, Cluster: fleet}}
	c.send(&discoveryv3.DiscoveryRequest{})
	return c
}

func (c *adsClient) send(req *discoveryv3.DiscoveryRequest) {
	c.t.Helper()
	req.Node, req.TypeUrl = c.node, resourcev3.ClusterType
	if err := c.stream.Send(req); err != nil {
		c.t.Fatal(err)
	}
}

// recv waits for a response of the given version, skipping others.
func (c *adsClient) recv(version string) *discoveryv3.DiscoveryResponse {
	c.t.Helper()
	for {
		resp, err := c.stream.Recv()
		if err != nil {
			c.t.Fatalf("waiting for version %s: %v", version, err)
		}
		if resp.VersionInfo == version {
			return resp
		}
	}
}

func TestDebugShowsAcksAndNacks(t *testing.T) {
	ctx, s, addr := serveADS(t)
	srv := httptest.NewServer(s.DebugHandler())
	defer srv.Close()
	const fleet = "gateway-infra-gw"
	node := func() (NodeStatus, string) {
		_, body := get(t, srv.URL+"/debug/xds?fleet="+fleet)
		var out struct{ Fleets []debugFleet }
		if err := json.Unmarshal([]byte(body), &out); err != nil || len(out.Fleets) != 1 || len(out.Fleets[0].Nodes) != 1 {
			return NodeStatus{}, ""
		}
		return out.Fleets[0].Nodes[0], out.Fleets[0].Version
	}

	good, err := s.Update(ctx, fleet, goldenResources(t, "gwapi-backends-weighted"))
	if err != nil {
		t.Fatal(err)
	}
	envoy := dialADS(ctx, t, addr, "envoy-a", fleet)
	resp := envoy.recv(good)
	envoy.send(&discoveryv3.DiscoveryRequest{VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce})
	eventually.Within(t, 10*time.Second, "ack shown", func() error {
		if n, v := node(); n.Node != "envoy-a" || n.Acked != good || v != good || n.Nacks != 0 {
			return fmt.Errorf("node %+v, fleet version %s; want acked %s", n, v, good)
		}
		return nil
	})

	rejected, err := s.Update(ctx, fleet, goldenResources(t, "gwapi-filter-mirror"))
	if err != nil {
		t.Fatal(err)
	}
	resp = envoy.recv(rejected)
	envoy.send(&discoveryv3.DiscoveryRequest{VersionInfo: good, ResponseNonce: resp.Nonce,
		ErrorDetail: status.New(codes.InvalidArgument, "route: unknown field").Proto()})
	eventually.Within(t, 10*time.Second, "nack shown", func() error {
		n, v := node()
		if n.Acked != good || n.Nacked != rejected || n.NackText != "route: unknown field" || n.Nacks != 1 || v != good {
			return fmt.Errorf("node %+v, fleet version %s; want acked %s, nacked %s, fleet back on %s", n, v, good, rejected, good)
		}
		return nil
	})
	_, body := get(t, srv.URL+"/debug/routes?fleet="+fleet)
	if !strings.Contains(body, "canary.example.com") || strings.Contains(body, "mirror.example.com") {
		t.Errorf("routes should show the configuration served again, not the rejected one:\n%s", body)
	}
	if !strings.Contains(body, "envoys: 1 connected, 1 acked this version, 1 rejected an update") {
		t.Errorf("routes header does not count the Envoy:\n%s", body)
	}
}
