package envoyxds

import (
	"fmt"
	"strings"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/proto"
)

// misdirectedStatus answers a request on a TLS connection for a host another filter chain of the port
// takes (421 Misdirected Request, RFC 9110): the connection was made for another name (HTTP/2 and
// HTTP/1.1 clients reuse a connection for every host its certificate covers, or a client sent a Host
// unlike its SNI), so it has the certificate and client certificate validation of another server. The
// client retries on a new connection, which gets the chain of the host's own server.
const misdirectedStatus = 421

// httpsRouteConfigName names the route configuration of the HTTPS filter chain of a server.
func httpsRouteConfigName(port uint32, server string) string {
	return fmt.Sprintf("https.%d.%s", port, server)
}

// httpsRouteConfigs builds the route configuration of each HTTPS filter chain of a TLS port: the
// virtual hosts of the port, those of hosts another chain takes answering 421 (misdirectedStatus).
func (b *builder) httpsRouteConfigs(port uint32, servers []server, chains []*listenerv3.FilterChain) ([]*routev3.RouteConfiguration, error) {
	base, err := b.routeConfig(port, servers)
	if err != nil {
		return nil, err
	}
	// The chain that takes each virtual host's name is the same for every chain's configuration.
	owners := make([]int, len(base.VirtualHosts))
	for j, vh := range base.VirtualHosts {
		owners[j] = chainOwner(vh.Domains[0], chains)
	}
	var out []*routev3.RouteConfiguration
	for i, fc := range chains {
		name := chainRouteConfig(fc)
		if name == "" {
			continue
		}
		rc := proto.Clone(base).(*routev3.RouteConfiguration)
		rc.Name = name
		for j, vh := range rc.VirtualHosts {
			if owners[j] >= 0 && owners[j] != i {
				vh.Routes = []*routev3.Route{misdirectedRoute()}
			}
		}
		out = append(out, rc)
	}
	return out, nil
}

// chainRouteConfig is the route configuration an HTTP filter chain loads over RDS, or "".
func chainRouteConfig(fc *listenerv3.FilterChain) string {
	for _, f := range fc.Filters {
		if hcm, _ := networkFilter(f); hcm != nil {
			return hcm.GetRds().GetRouteConfigName()
		}
	}
	return ""
}

func misdirectedRoute() *routev3.Route {
	return &routev3.Route{
		Name:   "misdirected",
		Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
		Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: misdirectedStatus}},
	}
}

// chainOwner returns the index of the filter chain Envoy selects for a connection whose SNI is host,
// or -1 when none would: a chain naming host, else the one with the longest wildcard ("*.suffix") that
// covers it, else the chain without server names. A wildcard host ("*.example.com", or "*") stands for
// the names it covers that no more specific host of the port takes.
func chainOwner(host string, chains []*listenerv3.FilterChain) int {
	byName := map[string]int{}
	catchAll := -1
	for i, fc := range chains {
		names := fc.GetFilterChainMatch().GetServerNames()
		if len(names) == 0 && catchAll < 0 {
			catchAll = i
		}
		for _, n := range names {
			if _, taken := byName[n]; !taken {
				byName[n] = i
			}
		}
	}
	for _, candidate := range sniCandidates(host) {
		if i, ok := byName[candidate]; ok {
			return i
		}
	}
	return catchAll
}

// sniCandidates are the server names that match host, most specific first: host itself, then the
// wildcard of each of its parent domains ("a.b.c": a.b.c, *.b.c, *.c; "*.b.c": *.b.c, *.c).
func sniCandidates(host string) []string {
	var out []string
	rest, wildcard := strings.CutPrefix(host, "*.")
	if !wildcard {
		if host == "*" {
			return nil
		}
		out = append(out, host)
		var ok bool
		if _, rest, ok = strings.Cut(host, "."); !ok {
			return out
		}
	}
	for {
		out = append(out, "*."+rest)
		var ok bool
		if _, rest, ok = strings.Cut(rest, "."); !ok {
			return out
		}
	}
}
