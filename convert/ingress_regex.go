package convert

import (
	"cmp"
	"fmt"
	"regexp"
)

// regexHosts are the hosts some Ingress of the fleet asks regex paths for (use-regex, or rewrite-target
// which implies it). As ingress-nginx does, the request then applies to every path of the host, whatever
// Ingress declares it.
func regexHosts(f *ingressFleet, hosts map[string][]ingressPath) map[string]bool {
	out := map[string]bool{}
	for host, paths := range hosts {
		for _, p := range paths {
			if !p.isDefault && f.routing(p.ing).Rewrite.UseRegex {
				out[host] = true
				break
			}
		}
	}
	return out
}

// compareRegexPaths orders the paths of a regex host as ingress-nginx orders its locations (the first
// regex that matches wins): rule paths before the default backend, then paths in reverse lexical
// order, then the oldest Ingress, then declaration order (stable sort).
func compareRegexPaths(a, b ingressPath) int {
	return cmp.Or(
		compareBool(a.isDefault, b.isDefault),
		-cmp.Compare(a.path.value, b.path.value),
		olderFirst(&a.ing.ObjectMeta, &b.ing.ObjectMeta),
	)
}

// regexPath turns a path of a regex host into a case-insensitive RE2 regex matched as a prefix, as nginx's
// `location ~* "^<path>"`: Envoy matches a regex against the whole path, hence the trailing `.*`.
func regexPath(p pathMatch) (pathMatch, error) {
	if _, err := regexp.Compile(p.value); err != nil {
		return pathMatch{}, fmt.Errorf("path %q is not an RE2 regular expression (use-regex applies to every path of the host): %w", p.value, err)
	}
	return pathMatch{kind: pathRegex, value: "(?i)(?:" + p.value + ").*"}, nil
}

// rewritePattern is the regex of a rewrite-target: it matches the whole path from its start, so that
// the target replaces the whole path as nginx's rewrite does, with the path's capture groups.
func rewritePattern(path string) string {
	return "(?i)^(?:" + path + ").*"
}
