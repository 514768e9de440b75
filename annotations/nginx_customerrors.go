package annotations

import (
	"slices"
	"strconv"
	"strings"
)

// customErrorKeys replace error answers with those of the default backend.
var customErrorKeys = keySet("custom-http-errors")

// CustomErrors are the status codes (custom-http-errors) whose answers, on the Ingress's paths, are
// replaced by the answer of the Service of its default-backend annotation.
type CustomErrors struct {
	// Codes are sorted, each once, within 400-599.
	Codes []uint32
	// Backend is the Service of the default-backend annotation, of the Ingress's namespace.
	Backend string
}

// parseCustomErrors reads custom-http-errors: comma-separated status codes. A part that is not a
// number, or a code outside 400-599, is Invalid and the others are used. gatebridge has no global
// default backend (ingress-nginx's --default-backend-service): without a usable default-backend
// annotation the key is Invalid.
func parseCustomErrors(annotations map[string]string, findings []Finding) (*CustomErrors, []Finding) {
	v, ok := nginxValue(annotations, "custom-http-errors")
	if !ok {
		return nil, findings
	}
	var codes []uint32
	var bad []string
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, err := strconv.ParseUint(part, 10, 32)
		if err != nil || n < 400 || n > 599 {
			bad = append(bad, strconv.Quote(part))
			continue
		}
		codes = append(codes, uint32(n))
	}
	slices.Sort(codes)
	codes = slices.Compact(codes)
	if len(bad) > 0 {
		findings = append(findings, invalid("custom-http-errors", "%s: not status codes within 400-599; ignored", strings.Join(bad, ", ")))
	}
	backend, _ := nginxValue(annotations, "default-backend")
	switch {
	case len(codes) == 0:
		if len(bad) == 0 {
			findings = append(findings, invalid("custom-http-errors", "no status code"))
		}
		return nil, findings
	case backend == "":
		return nil, append(findings, invalid("custom-http-errors", "needs the default-backend annotation: gatebridge has no global default backend to send errors to; error answers are left as they are"))
	case !isServiceName(backend):
		return nil, append(findings, invalid("custom-http-errors", "the default-backend annotation is not a Service name; error answers are left as they are"))
	}
	return &CustomErrors{Codes: codes, Backend: backend}, findings
}
