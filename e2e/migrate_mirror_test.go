package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gatebridge/gatebridge/annotations"
)

// checkMirrors sends a request to the first path of each Ingress of the corpus whose mirror-target is a
// Service of the corpus, once as Ingress and once migrated, and checks that the mirror Service receives
// each copy with the request's path and the Host ingress-nginx gives it: mirror-host, or else the
// target's host (Envoy's default would be the request's Host with -shadow appended).
func (rt *corpusTrip) checkMirrors() {
	checked := 0
	for i := range rt.in.Ingresses {
		ing := &rt.in.Ingresses[i]
		target, ok := ing.Annotations[annotations.NginxPrefix+"mirror-target"]
		u, err := url.Parse(strings.TrimSuffix(target, "$request_uri"))
		if !ok || err != nil || len(ing.Spec.Rules) == 0 || len(rulePaths(ing.Spec.Rules[0])) == 0 {
			continue
		}
		labels := strings.Split(u.Hostname(), ".")
		mirror := rt.backends[labels[min(1, len(labels)-1)]+"/"+labels[0]]
		if mirror == nil {
			continue
		}
		checked++
		rule := ing.Spec.Rules[0]
		host := cmpOr(ing.Annotations[annotations.NginxPrefix+"mirror-host"], u.Hostname())
		base := strings.TrimSuffix(rulePaths(rule)[0].Path, "/")
		for _, side := range []string{"ingress", "gateway"} {
			p := probe{class: rt.ingressOf[rule.Host], host: rule.Host, ruleHost: rule.Host, path: base + "/mirror-check-" + side + "?q=1", repeat: 1}
			h := rt.ingressSide(p)
			if side == "gateway" {
				h = rt.gatewaySide(p)
			}
			if a := h.send(p, rt.ca); a.code != http.StatusOK {
				rt.t.Errorf("%s on the %s side: %s, want 200 from the backend", p, side, a)
				continue
			}
			want := host + " " + p.path
			eventually(rt.t, fmt.Sprintf("the mirror of %s/%s receives the copy of the %s side", ing.Namespace, ing.Name, side), func() error {
				if got := mirror.seenRequests(); !slices.Contains(got, want) {
					return fmt.Errorf("the mirror received %q, want %q among them", got, want)
				}
				return nil
			})
		}
	}
	if checked == 0 {
		rt.t.Error("the corpus has no mirror-target to a Service of the corpus")
	}
}
