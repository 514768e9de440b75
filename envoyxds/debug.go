package envoyxds

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/wellknown"

	"github.com/gatebridge/gatebridge/model"
)

// RouteRow is one line of the route table of a fleet: where a request comes in, what it must match and
// what Envoy does with it. Rows keep Envoy's order within a virtual host, where the first match wins.
type RouteRow struct {
	// Port is the port the listener binds; 0 when no listener uses the route configuration.
	Port     uint32 `json:"port"`
	Listener string `json:"listener,omitempty"`
	// RouteConfig names the route configuration (RDS); empty for a TCP proxy filter chain.
	RouteConfig string `json:"routeConfig,omitempty"`
	// Domains are the domains of the virtual host, or the SNI names of a TCP proxy filter chain.
	Domains []string `json:"domains"`
	// Match summarizes the conditions: path, headers (method and authority among them), query parameters.
	Match string `json:"match"`
	// Action summarizes what happens: clusters with their share of traffic, a redirect, a direct response.
	Action   string    `json:"action"`
	Backends []Backend `json:"backends,omitempty"`
	// Name is the name of the Envoy route (the model route it came from) or of the filter chain.
	Name string `json:"name,omitempty"`
}

// Backend is one cluster a route forwards to.
type Backend struct {
	Cluster string  `json:"cluster"`
	Weight  uint32  `json:"weight"`
	Percent float64 `json:"percent"`
	// Unresolved is set when the cluster is not among the fleet's clusters; Status is then what Envoy
	// answers for this backend's share of HTTP requests (TCP connections are closed).
	Unresolved bool   `json:"unresolved,omitempty"`
	Status     uint32 `json:"status,omitempty"`
}

// RouteTable lists, in a stable order, the routes of a fleet's resources: listeners by port, then their
// route configurations and TCP proxy chains, then route configurations no listener uses.
func RouteTable(res *Resources) []RouteRow {
	t := routeTable{clusters: map[string]bool{}, configs: map[string]*routev3.RouteConfiguration{}}
	for _, c := range res.Clusters {
		t.clusters[c.Name] = true
	}
	for _, rc := range res.Routes {
		t.configs[rc.Name] = rc
	}
	listeners := slices.Clone(res.Listeners)
	slices.SortStableFunc(listeners, func(a, b *listenerv3.Listener) int {
		return cmp.Or(cmp.Compare(listenerPort(a), listenerPort(b)), cmp.Compare(a.Name, b.Name))
	})
	used := map[string]bool{}
	var rows []RouteRow
	for _, l := range listeners {
		if l.GetInternalListener() != nil {
			continue // the auth hop: no client reaches it
		}
		rows = append(rows, t.listenerRows(l, used)...)
	}
	for _, rc := range res.Routes {
		if !used[rc.Name] {
			rows = append(rows, t.configRows(0, "", rc)...)
		}
	}
	return rows
}

type routeTable struct {
	clusters map[string]bool
	configs  map[string]*routev3.RouteConfiguration
}

func listenerPort(l *listenerv3.Listener) uint32 {
	return l.GetAddress().GetSocketAddress().GetPortValue()
}

// listenerRows lists the routes a listener serves; a route configuration shared by several filter chains
// (one per HTTPS certificate) is listed once.
func (t routeTable) listenerRows(l *listenerv3.Listener, used map[string]bool) []RouteRow {
	port := listenerPort(l)
	seen := map[string]bool{}
	var rows []RouteRow
	for _, fc := range l.FilterChains {
		for _, f := range fc.Filters {
			hcm, tp := networkFilter(f)
			switch {
			case hcm != nil:
				rc := hcm.GetRouteConfig()
				if name := hcm.GetRds().GetRouteConfigName(); name != "" {
					rc = t.configs[name]
				}
				if rc == nil || seen[rc.Name] {
					continue
				}
				seen[rc.Name], used[rc.Name] = true, true
				rows = append(rows, t.configRows(port, l.Name, rc)...)
			case tp != nil:
				rows = append(rows, t.tcpRow(port, l, fc, tp))
			}
		}
	}
	return rows
}

// configRows lists the routes of a route configuration, virtual host by virtual host. A virtual host
// without routes gets a row too: its requests are answered 404.
func (t routeTable) configRows(port uint32, listener string, rc *routev3.RouteConfiguration) []RouteRow {
	var rows []RouteRow
	for _, vh := range rc.VirtualHosts {
		base := RouteRow{Port: port, Listener: listener, RouteConfig: rc.Name, Domains: vh.Domains}
		if len(vh.Routes) == 0 {
			row := base
			row.Match, row.Action = "*", "respond 404 (no routes)"
			rows = append(rows, row)
		}
		for _, r := range vh.Routes {
			row := base
			row.Name = r.Name
			row.Match = matchSummary(r.Match)
			row.Action, row.Backends = t.action(r)
			rows = append(rows, row)
		}
	}
	return rows
}

func (t routeTable) tcpRow(port uint32, l *listenerv3.Listener, fc *listenerv3.FilterChain, tp *tcpproxyv3.TcpProxy) RouteRow {
	row := RouteRow{Port: port, Listener: l.Name, Domains: fc.GetFilterChainMatch().GetServerNames(), Name: fc.Name, Match: "tcp"}
	if len(row.Domains) == 0 {
		row.Domains = []string{"*"}
	}
	switch {
	case fc.TransportSocket != nil:
		row.Match = "tls terminated"
	case slices.ContainsFunc(l.ListenerFilters, func(f *listenerv3.ListenerFilter) bool { return f.Name == wellknown.TlsInspector }):
		row.Match = "tls passthrough"
	}
	row.Backends = tcpBackends(tp)
	t.resolve(row.Backends, 0)
	row.Action = backendsText(row.Backends)
	return row
}

// action summarizes what a route does and lists the clusters it forwards to.
func (t routeTable) action(r *routev3.Route) (string, []Backend) {
	switch a := r.Action.(type) {
	case *routev3.Route_Route:
		return t.forward(a.Route)
	case *routev3.Route_Redirect:
		return redirectSummary(a.Redirect), nil
	case *routev3.Route_DirectResponse:
		return fmt.Sprintf("respond %d", a.DirectResponse.GetStatus()), nil
	case *routev3.Route_NonForwardingAction:
		return "no forwarding", nil
	case *routev3.Route_FilterAction:
		return "filter action", nil
	}
	return "(no action)", nil
}

func (t routeTable) forward(ra *routev3.RouteAction) (string, []Backend) {
	var bs []Backend
	switch c := ra.ClusterSpecifier.(type) {
	case *routev3.RouteAction_Cluster:
		bs = []Backend{{Cluster: c.Cluster, Weight: 1}}
	case *routev3.RouteAction_WeightedClusters:
		for _, cw := range c.WeightedClusters.GetClusters() {
			bs = append(bs, Backend{Cluster: cw.Name, Weight: cw.GetWeight().GetValue()})
		}
	case *routev3.RouteAction_ClusterHeader:
		return "cluster named by header " + c.ClusterHeader, nil
	default:
		return "cluster chosen by a plugin", nil
	}
	t.resolve(bs, clusterNotFoundStatus[ra.ClusterNotFoundResponseCode])
	parts := []string{backendsText(bs)}
	if ra.PrefixRewrite != "" {
		parts = append(parts, "prefix-rewrite="+quoteIfNeeded(ra.PrefixRewrite))
	}
	if rr := ra.RegexRewrite; rr != nil {
		parts = append(parts, fmt.Sprintf("regex-rewrite=%s→%s", quoteIfNeeded(rr.GetPattern().GetRegex()), quoteIfNeeded(rr.Substitution)))
	}
	if h := ra.GetHostRewriteLiteral(); h != "" {
		parts = append(parts, "host-rewrite="+h)
	}
	for _, m := range ra.RequestMirrorPolicies {
		parts = append(parts, "mirror="+m.Cluster)
	}
	return strings.Join(parts, "; "), bs
}

var clusterNotFoundStatus = map[routev3.RouteAction_ClusterNotFoundResponseCode]uint32{
	routev3.RouteAction_SERVICE_UNAVAILABLE:   503,
	routev3.RouteAction_NOT_FOUND:             404,
	routev3.RouteAction_INTERNAL_SERVER_ERROR: 500,
}

// resolve sets the share of traffic of each backend and marks the backends that do not resolve: a
// cluster the fleet does not define (Envoy answers notFound), or the endpoint-less cluster of the
// unresolved-backend host (503). Status stays 0 for TCP (notFound 0): the connection is closed.
func (t routeTable) resolve(bs []Backend, notFound uint32) {
	var total uint64
	for _, b := range bs {
		total += uint64(b.Weight)
	}
	for i := range bs {
		if total > 0 {
			bs[i].Percent = math.Round(float64(bs[i].Weight)*1000/float64(total)) / 10
		}
		switch {
		case !t.clusters[bs[i].Cluster]:
			bs[i].Unresolved, bs[i].Status = true, notFound
		case strings.HasSuffix(bs[i].Cluster, "||"+model.UnresolvedBackendHost):
			bs[i].Unresolved = true
			if notFound != 0 {
				bs[i].Status = http.StatusServiceUnavailable
			}
		}
	}
}

func backendsText(bs []Backend) string {
	if len(bs) == 0 {
		return "(no clusters)"
	}
	parts := make([]string, len(bs))
	for i, b := range bs {
		name := b.Cluster
		switch {
		case b.Unresolved && b.Status != 0:
			name = fmt.Sprintf("(unresolved: %d)", b.Status)
		case b.Unresolved:
			name = "(unresolved: connection closed)"
		}
		parts[i] = name
		if len(bs) > 1 {
			parts[i] += " " + strconv.FormatFloat(b.Percent, 'f', -1, 64) + "%"
		}
	}
	return strings.Join(parts, ", ")
}

var redirectStatus = map[routev3.RedirectAction_RedirectResponseCode]int{
	routev3.RedirectAction_MOVED_PERMANENTLY:  301,
	routev3.RedirectAction_FOUND:              302,
	routev3.RedirectAction_SEE_OTHER:          303,
	routev3.RedirectAction_TEMPORARY_REDIRECT: 307,
	routev3.RedirectAction_PERMANENT_REDIRECT: 308,
}

// redirectSummary prints the redirect target as a URL; {braces} stand for what is kept from the request.
func redirectSummary(r *routev3.RedirectAction) string {
	scheme, host, path := "{scheme}", "{host}", "{path}"
	switch {
	case r.GetSchemeRedirect() != "":
		scheme = r.GetSchemeRedirect()
	case r.GetHttpsRedirect():
		scheme = "https"
	}
	if r.HostRedirect != "" {
		host = r.HostRedirect
	}
	if r.PortRedirect != 0 {
		host += fmt.Sprintf(":%d", r.PortRedirect)
	}
	switch p := r.PathRewriteSpecifier.(type) {
	case *routev3.RedirectAction_PathRedirect:
		path = p.PathRedirect
	case *routev3.RedirectAction_PrefixRewrite:
		path = p.PrefixRewrite + "{rest of path}"
	case *routev3.RedirectAction_RegexRewrite:
		path = fmt.Sprintf("{path with %s replaced by %s}", p.RegexRewrite.GetPattern().GetRegex(), p.RegexRewrite.GetSubstitution())
	}
	out := fmt.Sprintf("redirect %d %s://%s%s", redirectStatus[r.ResponseCode], scheme, host, path)
	if r.StripQuery {
		out += " (query dropped)"
	}
	return out
}

// matchSummary prints the conditions of a route match as space-separated terms, for example
// "prefix=/api/ method=GET header:x-env=canary query:debug".
func matchSummary(m *routev3.RouteMatch) string {
	var parts []string
	switch p := m.GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		parts = append(parts, "prefix="+quoteIfNeeded(p.Prefix))
	case *routev3.RouteMatch_Path:
		parts = append(parts, "path="+quoteIfNeeded(p.Path))
	case *routev3.RouteMatch_SafeRegex:
		parts = append(parts, "regex="+quoteIfNeeded(p.SafeRegex.GetRegex()))
	case *routev3.RouteMatch_PathSeparatedPrefix:
		parts = append(parts, "segment-prefix="+quoteIfNeeded(p.PathSeparatedPrefix))
	case *routev3.RouteMatch_ConnectMatcher_:
		parts = append(parts, "connect")
	case *routev3.RouteMatch_PathMatchPolicy:
		parts = append(parts, "path-policy="+p.PathMatchPolicy.GetName())
	}
	if cs := m.GetCaseSensitive(); cs != nil && !cs.Value {
		parts = append(parts, "(path in any case)")
	}
	for _, h := range m.Headers {
		parts = append(parts, headerSummary(h))
	}
	for _, q := range m.QueryParameters {
		parts = append(parts, queryParamSummary(q))
	}
	if m.Grpc != nil {
		parts = append(parts, "grpc")
	}
	if m.RuntimeFraction != nil {
		parts = append(parts, "runtime-fraction")
	}
	if len(m.DynamicMetadata) > 0 || len(m.FilterState) > 0 {
		parts = append(parts, "metadata")
	}
	if m.TlsContext != nil {
		parts = append(parts, "tls-context")
	}
	return strings.Join(parts, " ")
}

// headerSummary prints one header condition; pseudo-headers read as "method" and "authority", other
// headers as "header:NAME". A leading "!" negates the condition.
func headerSummary(h *routev3.HeaderMatcher) string {
	name := "header:" + h.Name
	if strings.HasPrefix(h.Name, ":") {
		name = h.Name[1:]
	}
	negate := h.InvertMatch
	var cond string
	switch s := h.HeaderMatchSpecifier.(type) {
	case *routev3.HeaderMatcher_StringMatch:
		cond = stringMatchSummary(s.StringMatch)
	case *routev3.HeaderMatcher_PresentMatch:
		negate = negate != !s.PresentMatch
	case *routev3.HeaderMatcher_RangeMatch:
		cond = fmt.Sprintf(" in [%d,%d)", s.RangeMatch.GetStart(), s.RangeMatch.GetEnd())
	case nil:
	default:
		cond = " (condition not shown)"
	}
	if negate {
		return "!" + name + cond
	}
	return name + cond
}

func queryParamSummary(q *routev3.QueryParameterMatcher) string {
	name := "query:" + q.Name
	switch s := q.QueryParameterMatchSpecifier.(type) {
	case *routev3.QueryParameterMatcher_StringMatch:
		return name + stringMatchSummary(s.StringMatch)
	case *routev3.QueryParameterMatcher_PresentMatch:
		if !s.PresentMatch {
			return "!" + name
		}
	}
	return name
}

// stringMatchSummary prints a string condition with the operators of CSS attribute selectors: = exact,
// ^= prefix, $= suffix, *= contains, and ~= for a regular expression.
func stringMatchSummary(m *matcherv3.StringMatcher) string {
	var out string
	switch p := m.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		out = "=" + quoteIfNeeded(p.Exact)
	case *matcherv3.StringMatcher_Prefix:
		out = "^=" + quoteIfNeeded(p.Prefix)
	case *matcherv3.StringMatcher_Suffix:
		out = "$=" + quoteIfNeeded(p.Suffix)
	case *matcherv3.StringMatcher_Contains:
		out = "*=" + quoteIfNeeded(p.Contains)
	case *matcherv3.StringMatcher_SafeRegex:
		out = "~=" + quoteIfNeeded(p.SafeRegex.GetRegex())
	default:
		out = " (condition not shown)"
	}
	if m.GetIgnoreCase() {
		out += "(any case)"
	}
	return out
}

// quoteIfNeeded quotes values that would not read as one term: empty, or with spaces or quotes.
func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"") {
		return strconv.Quote(s)
	}
	return s
}

// DebugHandler serves read-only debug pages: /debug/ (an index), /debug/xds (per fleet the version served,
// the last update error and what each Envoy acked or rejected, as JSON) and /debug/routes (the route
// table of each fleet; ?fleet=NAME keeps one fleet, ?format=json prints JSON). TLS material is never
// shown, only the names of the secrets served. Serve it on a loopback address: it has no authentication.
func (s *Server) DebugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", http.RedirectHandler("/debug/", http.StatusFound))
	mux.HandleFunc("GET /debug/{$}", s.debugIndex)
	mux.HandleFunc("GET /debug/xds", s.debugXDS)
	mux.HandleFunc("GET /debug/routes", s.debugRoutes)
	return mux
}

// fleetView is the state of one fleet at one moment: its status and the resources it is served.
type fleetView struct {
	status FleetStatus
	res    *Resources // nil when the fleet is served nothing
}

// views reads the state of every fleet, or of one fleet when fleet is not empty, under one lock.
func (s *Server) views(fleet string) []fleetView {
	s.mu.Lock()
	status := s.statusLocked()
	snaps := maps.Clone(s.current)
	s.mu.Unlock()
	var out []fleetView
	for _, st := range status {
		if fleet != "" && st.Fleet != fleet {
			continue
		}
		v := fleetView{status: st}
		if snap := snaps[st.Fleet]; snap != nil {
			v.res = resourcesOf(snap)
		}
		out = append(out, v)
	}
	return out
}

// resourcesOf reads the resources of a snapshot back, each slice sorted by name.
func resourcesOf(snap *cachev3.Snapshot) *Resources {
	return &Resources{
		Listeners: resourcesOfType(snap, resourcev3.ListenerType, (*listenerv3.Listener).GetName),
		Routes:    resourcesOfType(snap, resourcev3.RouteType, (*routev3.RouteConfiguration).GetName),
		Clusters:  resourcesOfType(snap, resourcev3.ClusterType, (*clusterv3.Cluster).GetName),
		Endpoints: resourcesOfType(snap, resourcev3.EndpointType, (*endpointv3.ClusterLoadAssignment).GetClusterName),
		Secrets:   resourcesOfType(snap, resourcev3.SecretType, (*tlsv3.Secret).GetName),
	}
}

func resourcesOfType[T types.Resource](snap *cachev3.Snapshot, typ string, name func(T) string) []T {
	var out []T
	for _, r := range snap.GetResources(typ) {
		if m, ok := r.(T); ok {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(name(a), name(b)) })
	return out
}

// selectFleet reads ?fleet= and answers 404 when that fleet is unknown; ok is false when it did.
func (s *Server) selectFleet(w http.ResponseWriter, r *http.Request) ([]fleetView, bool) {
	fleet := r.URL.Query().Get("fleet")
	views := s.views(fleet)
	if fleet != "" && len(views) == 0 {
		http.Error(w, fmt.Sprintf("fleet %q is not known", fleet), http.StatusNotFound)
		return nil, false
	}
	return views, true
}

// debugFleet is a fleet in /debug/xds.
type debugFleet struct {
	FleetStatus
	Resources *resourceCounts `json:"resources,omitempty"`
	// Secrets are the names of the TLS secrets served over SDS; their content is never shown.
	Secrets []string `json:"secrets,omitempty"`
}

type resourceCounts struct {
	Listeners int `json:"listeners"`
	Routes    int `json:"routes"`
	Clusters  int `json:"clusters"`
	Endpoints int `json:"endpoints"`
	Secrets   int `json:"secrets"`
}

func (s *Server) debugXDS(w http.ResponseWriter, r *http.Request) {
	views, ok := s.selectFleet(w, r)
	if !ok {
		return
	}
	out := struct {
		Fleets []debugFleet `json:"fleets"`
	}{Fleets: []debugFleet{}}
	for _, v := range views {
		f := debugFleet{FleetStatus: v.status}
		if v.res != nil {
			f.Resources = &resourceCounts{len(v.res.Listeners), len(v.res.Routes), len(v.res.Clusters), len(v.res.Endpoints), len(v.res.Secrets)}
			for _, sec := range v.res.Secrets {
				f.Secrets = append(f.Secrets, sec.Name)
			}
		}
		out.Fleets = append(out.Fleets, f)
	}
	writeJSON(w, out)
}

// FleetRoutes is the route table of one fleet, as /debug/routes?format=json prints it.
type FleetRoutes struct {
	Fleet   string     `json:"fleet"`
	Version string     `json:"version"`
	Routes  []RouteRow `json:"routes"`
}

func (s *Server) debugRoutes(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format != "" && format != "text" && format != "json" {
		http.Error(w, fmt.Sprintf("format %q: want text or json", format), http.StatusBadRequest)
		return
	}
	views, ok := s.selectFleet(w, r)
	if !ok {
		return
	}
	if format == "json" {
		out := struct {
			Fleets []FleetRoutes `json:"fleets"`
		}{Fleets: []FleetRoutes{}}
		for _, v := range views {
			fr := FleetRoutes{Fleet: v.status.Fleet, Version: v.status.Version, Routes: []RouteRow{}}
			if v.res != nil {
				fr.Routes = append(fr.Routes, RouteTable(v.res)...)
			}
			out.Fleets = append(out.Fleets, fr)
		}
		writeJSON(w, out)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(views) == 0 {
		fmt.Fprintln(w, "no fleet is known yet")
	}
	for i, v := range views {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeFleetRoutes(w, v)
	}
}

// writeFleetRoutes prints the route table of one fleet under a line that says what its Envoys did.
func writeFleetRoutes(w io.Writer, v fleetView) {
	st := v.status
	acked, nacked := 0, 0
	for _, n := range st.Nodes {
		if n.Acked == st.Version && st.Version != "" {
			acked++
		}
		if n.Nacked != "" {
			nacked++
		}
	}
	fmt.Fprintf(w, "fleet %s  version %s  envoys: %d connected, %d acked this version, %d rejected an update\n",
		st.Fleet, cmp.Or(st.Version, "-"), len(st.Nodes), acked, nacked)
	if st.Error != "" {
		fmt.Fprintf(w, "last update not pushed: %s\n", st.Error)
	}
	if v.res == nil {
		fmt.Fprintln(w, "(nothing served)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PORT\tROUTE CONFIG\tDOMAINS\tMATCH\tACTION\tNAME")
	for _, row := range RouteTable(v.res) {
		port := "-"
		if row.Port != 0 {
			port = strconv.FormatUint(uint64(row.Port), 10)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", port, cmp.Or(row.RouteConfig, "-"), strings.Join(row.Domains, ","), row.Match, row.Action, cmp.Or(row.Name, "-"))
	}
	tw.Flush()
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>gatebridge debug</title></head><body>
<h1>gatebridge debug</h1>
<ul>
<li><a href="xds">xds</a>: per fleet, the version served, the last update error, what each Envoy acked or rejected (JSON)</li>
<li><a href="routes">routes</a>: the route table of each fleet, which host and path go to which backend (text, or <a href="routes?format=json">JSON</a>)</li>
</ul>
<h2>Fleets</h2>
{{if not .}}<p>No fleet is known yet.</p>{{end}}
<ul>
{{range .}}<li>{{.Fleet}} version {{or .Version "-"}}: <a href="routes?fleet={{.Fleet}}">routes</a>, <a href="xds?fleet={{.Fleet}}">xds</a></li>
{{end}}</ul>
</body></html>
`))

func (s *Server) debugIndex(w http.ResponseWriter, _ *http.Request) {
	var buf bytes.Buffer
	if err := indexPage.Execute(&buf, s.Status()); err != nil {
		http.Error(w, fmt.Sprintf("render index: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, fmt.Sprintf("encode: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(b, '\n'))
}
