package annotations

import (
	"strconv"
	"strings"
)

// proxyTimeoutKeys time out a stream that stays idle.
var proxyTimeoutKeys = keySet("proxy-read-timeout", "proxy-send-timeout")

// parseProxyTimeouts reads proxy-read-timeout and proxy-send-timeout (whole seconds) and returns the
// larger: Envoy's route idle timeout covers both directions at once.
func parseProxyTimeouts(annotations map[string]string, findings []Finding) (uint32, []Finding) {
	var longest uint32
	for _, name := range []string{"proxy-read-timeout", "proxy-send-timeout"} {
		v, ok := nginxValue(annotations, name)
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), "s"), 10, 32)
		if err != nil || n == 0 || n > 24*3600 {
			findings = append(findings, invalid(name, "%q is not a whole number of seconds from 1 to 86400; it has no effect", v))
			continue
		}
		findings = append(findings, approximated(name, "served as the route's idle timeout (the larger of proxy-read-timeout and proxy-send-timeout): the stream is reset after that long without activity in either direction, where nginx times each read or write of the upstream connection"))
		longest = max(longest, uint32(n))
	}
	return longest, findings
}
