package convert

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	istionet "istio.io/api/networking/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/annotations"
)

// ReasonCanaryWithoutPrimary: a canary Ingress's path is served by no primary Ingress.
const ReasonCanaryWithoutPrimary = "CanaryWithoutPrimary"

// canaryBackend is the backend a canary Ingress offers for the path of a primary Ingress.
type canaryBackend struct {
	ing      *networkingv1.Ingress
	backend  networkingv1.IngressBackend
	what     string
	settings annotations.NginxCanary
	// balance is the canary's own load-balance or upstream-hash-by.
	balance annotations.NginxLoadBalance
}

// mergeCanaries attaches each path of the canary Ingresses (oldest first) to the path of the primary
// Ingress with the same host and path. A canary owns no path: one without a primary is not served.
func (t *translator) mergeCanaries(f *ingressFleet, canaries []*networkingv1.Ingress, hosts map[string][]ingressPath) {
	for _, ing := range canaries {
		for ri, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			host := cmp.Or(rule.Host, "*")
			for pi, path := range rule.HTTP.Paths {
				what := fmt.Sprintf("rules[%d].http.paths[%d]", ri, pi)
				if err := t.attachCanary(f, ing, host, path, what, hosts[host]); err != nil {
					t.note(ingressRef(ing), NoteWarning, ReasonCanaryWithoutPrimary, "%s: %v; the canary path is not served", what, err)
				}
			}
		}
		if ing.Spec.DefaultBackend != nil {
			t.note(ingressRef(ing), NoteWarning, ReasonCanaryWithoutPrimary, "spec.defaultBackend of a canary Ingress is not served")
		}
	}
}

func (t *translator) attachCanary(f *ingressFleet, ing *networkingv1.Ingress, host string, path networkingv1.HTTPIngressPath, what string, paths []ingressPath) error {
	pm, err := ingressPathMatch(path)
	if err != nil {
		return err
	}
	for i := range paths {
		p := &paths[i]
		if p.isDefault || p.path.value != pm.value {
			continue
		}
		if p.canary != nil {
			return fmt.Errorf("host %q path %q already has the canary Ingress %s/%s (older)", host, pm.value, p.canary.ing.Namespace, p.canary.ing.Name)
		}
		r := f.routing(ing)
		p.canary = &canaryBackend{ing: ing, backend: path.Backend, what: what, settings: r.Canary, balance: r.LoadBalance}
		return nil
	}
	return fmt.Errorf("no primary Ingress of the class serves host %q path %q", host, pm.value)
}

// canaryRoutes returns the routes of a path with a canary, in ingress-nginx's precedence: header rules,
// then cookie rules, then the path's route with the weighted split. The canary inherits the primary's
// settings (rewrite, CORS, backend protocol...), as in ingress-nginx.
func (t *translator) canaryRoutes(route *istionet.HTTPRoute, p ingressPath, r annotations.NginxRouting) []*istionet.HTTPRoute {
	cb := p.canary
	if cb == nil || len(route.Route) == 0 {
		return []*istionet.HTTPRoute{route}
	}
	if cb.backend.Service == nil {
		t.note(ingressRef(cb.ing), NoteWarning, ReasonUnsupportedBackend, "%s: no service backend; the canary is not served", cb.what)
		return []*istionet.HTTPRoute{route}
	}
	dest, err := t.ingressDestination(cb.ing.Namespace, cb.backend.Service)
	if err != nil {
		t.note(ingressRef(cb.ing), NoteWarning, ReasonBackendNotFound, "%s: %v; the canary is not served", cb.what, err)
		return []*istionet.HTTPRoute{route}
	}
	if !t.useCanarySubset(dest, nsName{cb.ing.Namespace, cb.backend.Service.Name}, p, r) {
		return []*istionet.HTTPRoute{route} // noted
	}
	primary := route.Route[0]
	canary := &istionet.HTTPRouteDestination{Destination: dest}
	var out []*istionet.HTTPRoute
	rule := func(suffix, header string, value *istionet.StringMatch, to *istionet.HTTPRouteDestination) {
		c := cloneRoute(route, suffix)
		c.Match[0].Headers = map[string]*istionet.StringMatch{header: value}
		c.Route = []*istionet.HTTPRouteDestination{proto.Clone(to).(*istionet.HTTPRouteDestination)}
		out = append(out, c)
	}
	s := cb.settings
	if header := strings.ToLower(s.Header); header != "" {
		switch {
		case s.HeaderValue != "":
			rule("canary-by-header", header, &istionet.StringMatch{MatchType: &istionet.StringMatch_Exact{Exact: s.HeaderValue}}, canary)
		case s.HeaderPattern != "":
			rule("canary-by-header", header, regexMatch(".*(?:"+s.HeaderPattern+").*"), canary)
		default:
			rule("canary-by-header", header, &istionet.StringMatch{MatchType: &istionet.StringMatch_Exact{Exact: "always"}}, canary)
			rule("canary-by-header-never", header, &istionet.StringMatch{MatchType: &istionet.StringMatch_Exact{Exact: "never"}}, primary)
		}
	}
	if s.Cookie != "" {
		rule("canary-by-cookie", "cookie", cookieIs(s.Cookie, "always"), canary)
		rule("canary-by-cookie-never", "cookie", cookieIs(s.Cookie, "never"), primary)
	}
	if total := cmp.Or(s.WeightTotal, 100); s.Weight > 0 {
		primary.Weight, canary.Weight = int32(max(total-s.Weight, 0)), int32(min(s.Weight, total))
		route.Route = []*istionet.HTTPRouteDestination{primary, canary}
		if primary.Weight == 0 {
			route.Route, canary.Weight = []*istionet.HTTPRouteDestination{canary}, 0
		}
	}
	return append(out, route)
}

// canarySubsetName names the subset of the canary's Service for the path of a primary Ingress.
func canarySubsetName(canary, primary *networkingv1.Ingress) string {
	return ingressSubsetName(canary) + "-canary-of-" + primary.Namespace + "-" + primary.Name
}

// useCanarySubset points dest, a port of the canary's Service svc, at a subset built as ingress-nginx
// builds the canary's backend for primary path p: the primary's backend settings (backend-protocol,
// proxy-ssl-*, proxy-connect-timeout belong to the primary's location), and a balancing of the
// canary's upstream: the primary's cookie affinity, copied unless affinity-canary-behavior is legacy,
// else the canary's own load-balance or upstream-hash-by (round robin without them, whatever the
// primary's). A canary that asks for nothing of it needs no subset.
func (t *translator) useCanarySubset(dest *istionet.Destination, svc nsName, p ingressPath, r annotations.NginxRouting) bool {
	cb := p.canary
	lb := nginxLoadBalancer(cb.balance)
	if r.Affinity != nil && !cb.settings.LegacyAffinity {
		lb = cookieAffinity(r.Affinity)
		t.ignoreCanaryBalancing(cb.ing, p.ing)
	}
	tp, err := t.ingressTrafficPolicy(p.ing, dest.Host, r, lb)
	if err != nil {
		return false // the primary's path answers 503, noted
	}
	t.registerSubset(dest, svc, canarySubsetName(cb.ing, p.ing), cb.ing, tp)
	return true
}

// ignoreCanaryBalancing replaces the notes of the balancing keys of a canary whose primary has cookie
// affinity, which the canary's backend takes (affinity-canary-behavior sticky): ingress-nginx's
// balancer then hashes the cookie, whatever the canary's load-balance or upstream-hash-by.
func (t *translator) ignoreCanaryBalancing(canary, primary *networkingv1.Ingress) {
	ref := ingressRef(canary)
	for _, key := range []string{"load-balance", "upstream-hash-by", "upstream-hash-by-subset", "upstream-hash-by-subset-size"} {
		key = annotations.NginxPrefix + key
		if _, ok := canary.Annotations[key]; !ok {
			continue
		}
		t.result.Notes = slices.DeleteFunc(t.result.Notes, func(n Note) bool {
			return n.Object == ref && strings.HasPrefix(n.Message, "annotation "+key+": ")
		})
		t.note(ref, NoteWarning, ReasonIgnoredAnnotation, "annotation %s: not used: the canary's backend takes the cookie affinity of the primary Ingress %s/%s "+
			"(affinity-canary-behavior sticky), as in ingress-nginx", key, primary.Namespace, primary.Name)
	}
}

// cookieIs matches a Cookie header in which the cookie name has exactly value.
func cookieIs(name, value string) *istionet.StringMatch {
	return regexMatch(`(.*;\s*)?` + regexp.QuoteMeta(name) + `=` + regexp.QuoteMeta(value) + `(\s*;.*)?`)
}
