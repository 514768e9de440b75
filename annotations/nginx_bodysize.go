package annotations

import (
	"strconv"
	"strings"
)

// bodySizeKeys limit the size of request bodies.
var bodySizeKeys = keySet("proxy-body-size")

// parseBodySize reads proxy-body-size in nginx's size syntax: bytes, or a number with k, m or g
// (binary multiples, either case); "0" lifts the limit. Without the annotation gatebridge sets no limit,
// unlike ingress-nginx's 1m default: plain Ingresses keep serving as they do.
func parseBodySize(annotations map[string]string, findings []Finding) (uint64, []Finding) {
	v, ok := nginxValue(annotations, "proxy-body-size")
	if !ok {
		return 0, findings
	}
	n, err := parseNginxSize(v)
	if err != nil {
		return 0, append(findings, invalid("proxy-body-size", "%q is not a size (like 512k, 8m, 1g or a number of bytes); no limit is applied", v))
	}
	return n, findings
}

// parseNginxSize parses nginx's size syntax.
func parseNginxSize(v string) (uint64, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	mult := uint64(1)
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1<<10, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "m"):
		mult, s = 1<<20, strings.TrimSuffix(s, "m")
	case strings.HasSuffix(s, "g"):
		mult, s = 1<<30, strings.TrimSuffix(s, "g")
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, err
	}
	if n > (1<<63)/mult {
		return 0, strconv.ErrRange
	}
	return n * mult, nil
}
