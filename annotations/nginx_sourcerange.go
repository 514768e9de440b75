package annotations

import (
	"fmt"
	"net/netip"
	"strings"
)

// sourceRangeKeys restrict a route to client addresses: an allow-list (two spellings) and a deny-list.
var sourceRangeKeys = keySet("whitelist-source-range", "allowlist-source-range", "denylist-source-range")

// SourceRanges are the client address ranges a route accepts or refuses (403), as prefixes in their
// canonical form ("10.0.0.0/8", "2001:db8::1/128"). A deny-list wins over an allow-list, as in
// ingress-nginx, whose deny rules come first.
type SourceRanges struct {
	Allow []string
	Deny  []string
}

func parseSourceRanges(annotations map[string]string, findings []Finding) (*SourceRanges, []Finding) {
	var out SourceRanges
	// allowlist-source-range is the newer name; ingress-nginx reads it first.
	for _, name := range []string{"allowlist-source-range", "whitelist-source-range"} {
		v, ok := nginxValue(annotations, name)
		if !ok {
			continue
		}
		if !allowsEveryAddress(v) { // an allow-list of every address restricts nothing
			var bad []string
			out.Allow, bad = parsePrefixes(v)
			findings = appendBadRanges(findings, name, bad)
			if len(out.Allow) == 0 {
				// The user asked for a restriction: refusing everyone is the safe reading.
				findings = append(findings, invalid(name, "no usable range: every client is refused (403)"))
			}
		}
		break
	}
	if v, ok := nginxValue(annotations, "denylist-source-range"); ok {
		var bad []string
		out.Deny, bad = parsePrefixes(v)
		findings = appendBadRanges(findings, "denylist-source-range", bad)
	}
	if out.Allow == nil && len(out.Deny) == 0 {
		return nil, findings
	}
	return &out, findings
}

func appendBadRanges(findings []Finding, name string, bad []string) []Finding {
	if len(bad) == 0 {
		return findings
	}
	return append(findings, invalid(name, "%s %s not an address or CIDR range; the other ranges are used", strings.Join(bad, ", "), isAre(len(bad))))
}

// parsePrefixes reads comma-separated CIDR ranges and bare addresses (a /32 or /128), returning the
// canonical prefixes and the parts that are neither.
func parsePrefixes(v string) (prefixes, bad []string) {
	prefixes = []string{}
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			prefixes = append(prefixes, p.Masked().String())
			continue
		}
		if a, err := netip.ParseAddr(part); err == nil && a.Zone() == "" {
			prefixes = append(prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()).String())
			continue
		}
		bad = append(bad, fmt.Sprintf("%q", part))
	}
	return prefixes, bad
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
