package annotations

import (
	"cmp"
	"slices"
	"strings"
)

// FindingKind says how far an annotation is honoured.
type FindingKind string

const (
	// Unsupported: the key is known but gatebridge does not implement it; it has no effect.
	Unsupported FindingKind = "Unsupported"
	// Invalid: the key is supported but its value cannot be used; it has no effect.
	Invalid FindingKind = "Invalid"
	// Unknown: the key is in a family gatebridge reads, but no such key exists.
	Unknown FindingKind = "Unknown"
	// Approximated: the key is honoured, not exactly as its origin does it.
	Approximated FindingKind = "Approximated"
	// Ignored: the key has no effect where it is set, as under its origin (a key of a canary Ingress
	// that ingress-nginx takes from the primary).
	Ignored FindingKind = "Ignored"
)

// Finding is one annotation that is not honoured exactly.
type Finding struct {
	Key     string      `json:"key"`
	Kind    FindingKind `json:"kind"`
	Message string      `json:"message"`
}

// family is one group of annotations with a common prefix, parsed by one file of this package.
type family struct {
	prefix string
	// known lists the keys (without prefix) the family recognizes; parse reads them.
	known map[string]bool
	// supported lists the known keys gatebridge honours; the others are reported as Unsupported.
	supported map[string]bool
	// asksNothing holds, for some unsupported keys, a test of values that ask for nothing: not honouring
	// them loses nothing, so they deserve no finding.
	asksNothing map[string]func(value string) bool
	name        string
}

// supportedFamily is a family whose every key (given with its prefix) is known and supported.
func supportedFamily(name, prefix string, keys ...string) *family {
	names := make([]string, 0, len(keys))
	for _, k := range keys {
		names = append(names, strings.TrimPrefix(k, prefix))
	}
	set := keySet(names...)
	return &family{name: name, prefix: prefix, known: set, supported: set}
}

// unsupported reports whether the value of the known key name is not honoured and asks for something.
func (f *family) unsupported(name, value string) bool {
	if f.supported[name] {
		return false
	}
	asksNothing := f.asksNothing[name]
	return asksNothing == nil || !asksNothing(value)
}

func keySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// Ingress holds the settings the annotations of one Ingress ask for.
type Ingress struct {
	// Class is the value of the legacy kubernetes.io/ingress.class annotation; HasClass says it is set.
	Class    string
	HasClass bool
	// Routing holds the ingress-nginx settings the Istio networking API can express (nginx_routing*.go).
	Routing NginxRouting
	// Policy holds the ingress-nginx settings served by gatebridge's own route policies (nginx_policy*.go).
	Policy NginxPolicy
}

// families are checked in order; a key belongs to the first family whose prefix it has.
var families = []*family{nginxFamily, certManagerFamily, certManagerACMEFamily, gatebridgeFamily}

// ParseIngress reads the annotations of an Ingress. Findings are sorted by key.
func ParseIngress(annotations map[string]string) (Ingress, []Finding) {
	var out Ingress
	out.Class, out.HasClass = parseClass(annotations)
	var findings []Finding
	out.Routing, findings = parseNginxRouting(annotations, findings)
	out.Policy, findings = parseNginxPolicy(annotations, findings)
	for key := range annotations {
		for _, f := range families {
			name, ok := strings.CutPrefix(key, f.prefix)
			if !ok {
				continue
			}
			switch {
			case !f.known[name]:
				findings = append(findings, Finding{Key: key, Kind: Unknown, Message: "unknown " + f.name + " annotation; it has no effect"})
			case f.unsupported(name, annotations[key]):
				findings = append(findings, Finding{Key: key, Kind: Unsupported, Message: "not supported by gatebridge; it has no effect"})
			}
			break
		}
	}
	if out.Routing.Canary.Enabled {
		findings = ignoredOnCanary(annotations, findings)
	}
	slices.SortFunc(findings, func(a, b Finding) int { return cmp.Compare(a.Key, b.Key) })
	return out, findings
}
