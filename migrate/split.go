package migrate

import (
	"reflect"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Limits of HTTPRoute. Gateway API v1.6 allows 64 matches per rule and 128 per route; migrate keeps to
// the tighter limits of earlier versions (8 and 64) so that its output is valid whatever CRDs a cluster
// has installed.
const (
	maxRulesPerRoute   = 16
	maxMatchesPerRule  = 8
	maxMatchesPerRoute = 64
)

// mergeRules merges rules that differ only in their matches (precedence is per match, so this changes
// nothing), keeping the order of first appearance. Rules with a ReplacePrefixMatch keep their single
// match, as the API requires.
func mergeRules(rules []gwapiv1.HTTPRouteRule) []gwapiv1.HTTPRouteRule {
	var out []gwapiv1.HTTPRouteRule
	for _, r := range rules {
		merged := false
		for i := range out {
			if !replacesPrefix(r) && !replacesPrefix(out[i]) && sameAction(out[i], r) {
				out[i].Matches = append(out[i].Matches, r.Matches...)
				merged = true
				break
			}
		}
		if !merged {
			r.Matches = append([]gwapiv1.HTTPRouteMatch(nil), r.Matches...)
			out = append(out, r)
		}
	}
	return out
}

func sameAction(a, b gwapiv1.HTTPRouteRule) bool {
	a.Matches, b.Matches = nil, nil
	return reflect.DeepEqual(a, b)
}

func replacesPrefix(r gwapiv1.HTTPRouteRule) bool {
	for _, f := range r.Filters {
		if f.URLRewrite != nil && f.URLRewrite.Path != nil && f.URLRewrite.Path.Type == gwapiv1.PrefixMatchHTTPPathModifier {
			return true
		}
		if f.RequestRedirect != nil && f.RequestRedirect.Path != nil && f.RequestRedirect.Path.Type == gwapiv1.PrefixMatchHTTPPathModifier {
			return true
		}
	}
	return false
}

// splitRules cuts rules with too many matches into several, then packs the rules into routes that stay
// within the limits.
func splitRules(rules []gwapiv1.HTTPRouteRule) [][]gwapiv1.HTTPRouteRule {
	var small []gwapiv1.HTTPRouteRule
	for _, r := range rules {
		for len(r.Matches) > maxMatchesPerRule {
			part := r
			part.Matches = r.Matches[:maxMatchesPerRule]
			small = append(small, part)
			r.Matches = r.Matches[maxMatchesPerRule:]
		}
		small = append(small, r)
	}
	var out [][]gwapiv1.HTTPRouteRule
	var cur []gwapiv1.HTTPRouteRule
	matches := 0
	for _, r := range small {
		n := max(len(r.Matches), 1)
		if len(cur) == maxRulesPerRoute || matches+n > maxMatchesPerRoute {
			out = append(out, cur)
			cur, matches = nil, 0
		}
		cur = append(cur, r)
		matches += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
