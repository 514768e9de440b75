package convert

import (
	"fmt"

	istionet "istio.io/api/networking/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// tlsEntry is one TLSRoute bound to a TLS listener: SNI hostnames and weighted destinations.
type tlsEntry struct {
	rc    *routeCommon
	hosts []string
	route []*istionet.RouteDestination
}

type tlsBucketKey struct {
	gw   *gatewayInfo
	port gwapiv1.PortNumber
}

func (t *translator) translateTLSRoute(r *gwapiv1.TLSRoute, gateways map[nsName]*gatewayInfo) {
	rc := newRouteCommon("TLSRoute", &r.ObjectMeta, r.Spec.ParentRefs, r.Spec.Hostnames)
	parents := t.attachRoute(*rc, gateways)
	if len(parents) == 0 {
		return
	}
	var refs, invalid *refProblem
	var dests []*istionet.RouteDestination
	resolved := 0
	for i, rule := range r.Spec.Rules {
		if i > 0 {
			firstProblem(&invalid, gwapiv1.RouteReasonUnsupportedValue, "rules[%d]: only one rule is supported", i)
			break
		}
		for _, b := range rule.BackendRefs {
			dest, problem := t.resolveBackend(rc.ref.Kind, rc.ref.Namespace, b.BackendObjectReference)
			if problem != nil {
				// The share of an unresolved backend is rejected, not given to the others.
				firstProblem(&refs, problem.reason, "%s", problem.message)
				dest = unresolvedDestination()
			} else {
				resolved++
			}
			if w := weightOf(b.Weight); w > 0 {
				dests = append(dests, &istionet.RouteDestination{Destination: dest, Weight: w})
			}
		}
	}
	if len(dests) == 1 {
		dests[0].Weight = 0
	}
	usable := 1
	if len(r.Spec.Rules) == 0 {
		usable = 0
		firstProblem(&invalid, gwapiv1.RouteReasonUnsupportedValue, "%s", "no rules")
	}
	t.routeParentStatus(*rc, parents, refs, invalid, usable)
	if resolved == 0 || len(dests) == 0 {
		return
	}
	for _, p := range parents {
		for _, a := range p.attachments {
			key := tlsBucketKey{gw: a.gw, port: a.listener.spec.Port}
			t.tlsBuckets[key] = append(t.tlsBuckets[key], tlsEntry{rc: rc, hosts: a.hostnames, route: dests})
		}
	}
}

func (t *translator) buildTLSVirtualServices() {
	for _, key := range sortedKeys(t.tlsBuckets, func(a, b tlsBucketKey) int {
		return compareBucket(a.gw, b.gw, a.port, b.port, "", "")
	}) {
		entries := t.tlsBuckets[key]
		sortEntries(entries, func(e tlsEntry) *routeCommon { return e.rc })
		vs := &istionet.VirtualService{Gateways: []string{key.gw.gw.Namespace + "/" + key.gw.gw.Name}}
		hosts, sources := map[string]bool{}, map[string]bool{}
		for _, e := range entries {
			for _, h := range e.hosts {
				hosts[h] = true
			}
			sources[e.rc.ref.String()] = true
			vs.Tls = append(vs.Tls, &istionet.TLSRoute{
				Match: []*istionet.TLSMatchAttributes{{SniHosts: e.hosts, Port: uint32(key.port)}},
				Route: e.route,
			})
		}
		vs.Hosts = sortedSet(hosts)
		t.addVirtualService(gatewayMeta(key.gw, fmt.Sprintf("%s-tls-%d", key.gw.gw.Name, key.port), sources), vs)
	}
}
