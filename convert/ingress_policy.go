package convert

import (
	"maps"
	"slices"
	"strings"

	istionet "istio.io/api/networking/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/model"
)

// Reasons of the notes about route policies.
const (
	ReasonAuthSecretRefused  = "AuthSecretRefused"
	ReasonAuthUsersUnusable  = "AuthUsersUnusable"
	ReasonAuthServiceInvalid = "AuthServiceInvalid"
)

// limitStatus is what ingress-nginx answers a client over its rate (limit-req-status-code's default).
const limitStatus = 503

// addIngressPolicies gives each Ingress of a fleet whose ingress-nginx annotations ask for what the
// Istio model cannot express a route policy on the routes built from its paths. It runs after the
// fleet's VirtualServices are built: an Ingress's routes are named "<namespace>/<name>/<what>".
func (t *translator) addIngressPolicies(fleet string, f *ingressFleet) {
	routes := t.fleetRoutesByIngress(fleet)
	for _, ing := range f.ingresses {
		policy := f.settings[ing].Policy
		names := routes[ing.Namespace+"/"+ing.Name]
		mirror := f.mirrors[ing] != nil
		if (policy.IsZero() && !mirror) || len(names) == 0 {
			continue
		}
		if policy.RefuseAll {
			t.refuseIngressRoutes(fleet, names)
			continue
		}
		spec := t.ingressPolicySpec(fleet, ing, policy)
		if mirror {
			spec.MirrorHost = f.routing(ing).Mirror.Authority
		}
		t.result.Snapshot.RoutePolicies = append(t.result.Snapshot.RoutePolicies, model.RoutePolicy{
			Meta: model.Meta{
				Name: ing.Namespace + "." + ing.Name, Namespace: t.opts.IngressNamespace, Fleet: fleet,
				Origin: model.OriginIngress, Sources: []string{ingressRef(ing).String()},
			},
			Routes: slices.Sorted(maps.Keys(names)),
			Spec:   spec,
		})
	}
}

// refuseStatus is what ingress-nginx answers for a location whose auth annotation it cannot use.
const refuseStatus = 503

// refuseIngressRoutes makes the routes of an Ingress whose authentication cannot be asked answer 503
// to every request (the annotation's note says why); its redirects still redirect, before any check.
func (t *translator) refuseIngressRoutes(fleet string, names map[string]bool) {
	for _, vs := range t.result.Snapshot.VirtualServices {
		if vs.Fleet != fleet || vs.Origin != model.OriginIngress {
			continue
		}
		for _, r := range vs.Spec.Http {
			if names[r.Name] && r.Redirect == nil {
				r.Route, r.Rewrite, r.Mirrors, r.CorsPolicy = nil, nil, nil, nil
				r.DirectResponse = &istionet.HTTPDirectResponse{Status: refuseStatus}
			}
		}
	}
}

// fleetRoutesByIngress gathers the names of a fleet's HTTP routes by the Ingress ("namespace/name")
// they were built from.
func (t *translator) fleetRoutesByIngress(fleet string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, vs := range t.result.Snapshot.VirtualServices {
		if vs.Fleet != fleet || vs.Origin != model.OriginIngress {
			continue
		}
		for _, r := range vs.Spec.Http {
			parts := strings.SplitN(r.Name, "/", 3)
			if len(parts) != 3 {
				continue
			}
			key := parts[0] + "/" + parts[1]
			if out[key] == nil {
				out[key] = map[string]bool{}
			}
			out[key][r.Name] = true
		}
	}
	return out
}

// ingressPolicySpec turns the policy settings of an Ingress into a policy, resolving the Secret of
// basic authentication and the Service of external authentication.
func (t *translator) ingressPolicySpec(fleet string, ing *networkingv1.Ingress, p annotations.NginxPolicy) model.RoutePolicySpec {
	spec := model.RoutePolicySpec{MaxRequestBodyBytes: p.MaxBodyBytes, IdleTimeoutSeconds: p.IdleTimeoutSeconds}
	if sr := p.SourceRanges; sr != nil {
		spec.SourceRanges = &model.SourceRanges{Allow: sr.Allow, Deny: sr.Deny, DenyAll: sr.Allow != nil && len(sr.Allow) == 0}
	}
	if rl := p.RateLimit; rl != nil {
		for _, r := range []struct{ requests, period uint32 }{{rl.PerSecond, 1}, {rl.PerMinute, 60}} {
			if r.requests == 0 {
				continue
			}
			spec.RateLimits = append(spec.RateLimits, model.RateLimit{
				Requests: r.requests, PeriodSeconds: r.period, Burst: r.requests * rl.BurstMultiplier,
				PerClient: true, StatusCode: limitStatus,
			})
		}
		spec.RateLimitExempt = rl.Allowlist
	}
	if p.BasicAuth != nil {
		spec.BasicAuth = t.ingressBasicAuth(ing, p.BasicAuth)
	}
	if p.ExtAuth != nil {
		spec.ExtAuth = t.ingressExtAuth(fleet, ing, p.ExtAuth)
	}
	if p.CustomErrors != nil {
		spec.CustomErrors = t.ingressCustomErrors(ing, p.CustomErrors)
	}
	return spec
}
