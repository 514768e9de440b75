package annotations

import (
	"strconv"
	"strings"
)

// rateLimitKeys limit the requests of each client address, as ingress-nginx's limit_req zones do.
var rateLimitKeys = keySet("limit-rps", "limit-rpm", "limit-burst-multiplier", "limit-allowlist", "limit-whitelist")

// defaultBurstMultiplier is ingress-nginx's limit-burst-multiplier when the annotation is absent.
const defaultBurstMultiplier = 5

// RateLimit holds the request rates one client address may use. A client over a limit gets 503
// (ingress-nginx's default limit-req-status-code).
type RateLimit struct {
	// PerSecond and PerMinute are limit-rps and limit-rpm (zero: not set).
	PerSecond, PerMinute uint32
	// BurstMultiplier times the rate is how many requests a client may send at once.
	BurstMultiplier uint32
	// Allowlist holds the client ranges no limit counts (limit-allowlist, formerly limit-whitelist), as
	// canonical prefixes.
	Allowlist []string
}

func parseRateLimit(annotations map[string]string, findings []Finding) (*RateLimit, []Finding) {
	rl := RateLimit{BurstMultiplier: defaultBurstMultiplier}
	rl.PerSecond, findings = parseCount(annotations, "limit-rps", findings)
	rl.PerMinute, findings = parseCount(annotations, "limit-rpm", findings)
	if v, ok := nginxValue(annotations, "limit-burst-multiplier"); ok {
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 16)
		if err != nil || n == 0 {
			findings = append(findings, invalid("limit-burst-multiplier", "%q is not a positive whole number; the default, %d, is used", v, defaultBurstMultiplier))
		} else {
			rl.BurstMultiplier = uint32(n)
		}
	}
	if rl.PerSecond == 0 && rl.PerMinute == 0 {
		return nil, findings
	}
	rl.Allowlist, findings = parseLimitAllowlist(annotations, findings)
	return &rl, findings
}

// parseLimitAllowlist reads the client ranges exempt from the rate limits: limit-allowlist, or the
// older limit-whitelist when it is absent (as ingress-nginx).
func parseLimitAllowlist(annotations map[string]string, findings []Finding) ([]string, []Finding) {
	for _, name := range []string{"limit-allowlist", "limit-whitelist"} {
		if v, ok := nginxValue(annotations, name); ok {
			prefixes, bad := parsePrefixes(v)
			if len(prefixes) == 0 {
				prefixes = nil
			}
			return prefixes, appendBadRanges(findings, name, bad)
		}
	}
	return nil, findings
}

// parseCount reads a positive whole number of requests; zero when the key is absent or invalid.
func parseCount(annotations map[string]string, name string, findings []Finding) (uint32, []Finding) {
	v, ok := nginxValue(annotations, name)
	if !ok {
		return 0, findings
	}
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
	if err != nil || n == 0 || n > 1_000_000 {
		return 0, append(findings, invalid(name, "%q is not a whole number of requests from 1 to 1000000; no limit is applied", v))
	}
	return uint32(n), findings
}
