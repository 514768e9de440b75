package convert

import (
	"cmp"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	istionet "istio.io/api/networking/v1"
)

// pathKind is how a path is matched. The Ingress and Gateway API prefixes are whole-segment prefixes;
// ingress-nginx's ImplementationSpecific paths are plain string prefixes.
type pathKind int

const (
	pathExact pathKind = iota
	pathRegex
	pathSegmentPrefix
	pathStringPrefix
)

type pathMatch struct {
	kind  pathKind
	value string
}

// key identifies what a path match takes, for conflict detection: /foo and /foo/ as segment prefixes
// are the same, and a prefix "/" takes everything whatever its kind.
func (p pathMatch) key() string {
	switch p.kind {
	case pathSegmentPrefix, pathStringPrefix:
		if strings.TrimRight(p.value, "/") == "" {
			return "prefix /"
		}
	}
	if p.kind == pathSegmentPrefix {
		return "segment " + strings.TrimRight(p.value, "/")
	}
	return fmt.Sprintf("%d %s", p.kind, p.value)
}

// pathRewrite carries a prefix replacement that depends on how the path was matched (Gateway API
// ReplacePrefixMatch in URLRewrite or RequestRedirect).
type pathRewrite struct {
	rewritePrefix  *string
	redirectPrefix *string
}

func exactURI(v string) *istionet.StringMatch {
	return &istionet.StringMatch{MatchType: &istionet.StringMatch_Exact{Exact: v}}
}

func prefixURI(v string) *istionet.StringMatch {
	return &istionet.StringMatch{MatchType: &istionet.StringMatch_Prefix{Prefix: v}}
}

func regexMatch(v string) *istionet.StringMatch {
	return &istionet.StringMatch{MatchType: &istionet.StringMatch_Regex{Regex: v}}
}

// expandPath sets the URI match of route (whose single match has no URI yet) and returns the Istio routes
// that serve it. A segment prefix /foo becomes an exact match on /foo followed by a prefix match on /foo/,
// which is exactly "whole path segments" in Istio's and Envoy's terms; a prefix replacement is applied to
// each part so that /foo/bar with /foo replaced by /baz becomes /baz/bar.
func expandPath(route *istionet.HTTPRoute, p pathMatch, rw pathRewrite) []*istionet.HTTPRoute {
	switch p.kind {
	case pathExact:
		route.Match[0].Uri = exactURI(p.value)
		return []*istionet.HTTPRoute{route}
	case pathRegex:
		route.Match[0].Uri = regexMatch(p.value)
		return []*istionet.HTTPRoute{route}
	case pathStringPrefix:
		route.Match[0].Uri = prefixURI(p.value)
		applyPrefixRewrite(route, rw, func(r string) string { return r }, false)
		return []*istionet.HTTPRoute{route}
	}
	base := strings.TrimRight(p.value, "/")
	if base == "" && rw.rewritePrefix == nil && rw.redirectPrefix == nil {
		route.Match[0].Uri = prefixURI("/")
		return []*istionet.HTTPRoute{route}
	}
	exact := proto.Clone(route).(*istionet.HTTPRoute)
	exact.Match[0].Uri = exactURI(cmp.Or(base, "/"))
	applyPrefixRewrite(exact, rw, func(r string) string { return cmp.Or(r, "/") }, true)
	route.Match[0].Uri = prefixURI(base + "/")
	applyPrefixRewrite(route, rw, func(r string) string { return strings.TrimRight(r, "/") + "/" }, false)
	return []*istionet.HTTPRoute{exact, route}
}

// applyPrefixRewrite sets the rewrite and the redirect of a route to the replacement of its matched
// prefix; wholePath says the route matches the whole path exactly, so the redirect replaces the path.
func applyPrefixRewrite(route *istionet.HTTPRoute, rw pathRewrite, replacement func(string) string, wholePath bool) {
	if rw.rewritePrefix != nil {
		if route.Rewrite == nil {
			route.Rewrite = &istionet.HTTPRewrite{}
		}
		route.Rewrite.Uri = replacement(*rw.rewritePrefix)
	}
	if rw.redirectPrefix != nil && route.Redirect != nil {
		if wholePath {
			route.Redirect.Uri = replacement(*rw.redirectPrefix)
		} else {
			route.Redirect.PrefixRewrite = replacement(*rw.redirectPrefix)
		}
	}
}
