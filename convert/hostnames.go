package convert

import "strings"

func isWildcard(h string) bool { return strings.HasPrefix(h, "*.") }

// wildcardCovers reports whether the wildcard w ("*.example.com") matches host h, which may be a wildcard
// itself. Gateway API wildcards match one or more labels.
func wildcardCovers(w, h string) bool {
	suffix := w[1:] // ".example.com"
	return len(h) > len(suffix) && strings.HasSuffix(h, suffix)
}

// hostnameIntersection returns the hostname that a route hostname r serves under a listener hostname l
// ("" = any), or "" when they do not intersect.
func hostnameIntersection(l, r string) string {
	switch {
	case l == "" || l == r:
		return r
	case isWildcard(l) && isWildcard(r):
		if wildcardCovers(l, r) {
			return r
		}
		if wildcardCovers(r, l) {
			return l
		}
	case isWildcard(l):
		if wildcardCovers(l, r) {
			return r
		}
	case isWildcard(r):
		if wildcardCovers(r, l) {
			return l
		}
	}
	return ""
}

// routeHostnames returns the hostnames a route with the given hostnames serves under listener hostname
// l, "*" standing for any host.
func routeHostnames(l string, hostnames []string) []string {
	if len(hostnames) == 0 {
		if l == "" {
			return []string{"*"}
		}
		return []string{l}
	}
	var out []string
	for _, r := range hostnames {
		if h := hostnameIntersection(l, r); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// hostSpecificity ranks listener hostnames: an exact name beats a wildcard, a longer wildcard a shorter
// one, and any hostname beats none.
func hostSpecificity(h string) int {
	switch {
	case h == "":
		return 0
	case isWildcard(h):
		return 1 + len(h)
	}
	return 1 << 20
}

// listenerMatchesHost reports whether a listener hostname l ("" = any) would take requests for h.
func listenerMatchesHost(l, h string) bool {
	switch {
	case l == "" || l == h:
		return true
	case isWildcard(l):
		return h != "*" && wildcardCovers(l, h)
	}
	return false
}
