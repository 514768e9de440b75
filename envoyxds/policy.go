package envoyxds

import (
	"cmp"
	"slices"

	istionet "istio.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/model"
)

// hostRules is what the DestinationRules of one host say, merged as Istio merges several rules for the
// same host: the traffic policy of the first rule that has one applies, and subsets are joined (the
// first rule to define a name keeps it). The fleet's own rules come first, then the rules of every fleet
// (empty Meta.Fleet), each group by namespace and name.
type hostRules struct {
	policy  *istionet.TrafficPolicy
	subsets map[string]*istionet.TrafficPolicy
}

// indexRules gathers, by host (exact FQDN), the DestinationRules the fleet takes.
func indexRules(s *model.Snapshot, fleet string) map[string]*hostRules {
	var rules []*model.DestinationRule
	for i := range s.DestinationRules {
		dr := &s.DestinationRules[i]
		if dr.Spec != nil && (dr.Fleet == "" || dr.Fleet == fleet) {
			rules = append(rules, dr)
		}
	}
	slices.SortStableFunc(rules, func(a, b *model.DestinationRule) int {
		return cmp.Or(compareBool(a.Fleet == "", b.Fleet == ""), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	out := map[string]*hostRules{}
	for _, dr := range rules {
		hr := out[dr.Spec.Host]
		if hr == nil {
			hr = &hostRules{subsets: map[string]*istionet.TrafficPolicy{}}
			out[dr.Spec.Host] = hr
		}
		if hr.policy == nil {
			hr.policy = dr.Spec.TrafficPolicy
		}
		for _, ss := range dr.Spec.Subsets {
			if _, taken := hr.subsets[ss.Name]; !taken && ss.Name != "" {
				hr.subsets[ss.Name] = ss.TrafficPolicy
			}
		}
	}
	return out
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// clusterPolicy is the traffic policy of one cluster, each part whole as the most specific level that
// sets it gave it.
type clusterPolicy struct {
	lb   *istionet.LoadBalancerSettings
	pool *istionet.ConnectionPoolSettings
	tls  *istionet.ClientTLSSettings
}

// policyFor is the traffic policy of the cluster of a host's port and subset. Like Istio, each part
// (load balancer, connection pool, TLS) is taken whole from the most specific level that sets it: the
// rule's trafficPolicy, then its portLevelSettings for the port, then the subset's trafficPolicy, then
// the subset's portLevelSettings for the port. A subset that no rule defines gets the host's policy
// (Istio would have no cluster for it and answer 503).
func (b *builder) policyFor(ref clusterRef) clusterPolicy {
	var p clusterPolicy
	hr := b.rules[ref.host]
	if hr == nil {
		return p
	}
	p.apply(hr.policy, ref.port)
	if ref.subset != "" {
		p.apply(hr.subsets[ref.subset], ref.port)
	}
	return p
}

func (p *clusterPolicy) apply(tp *istionet.TrafficPolicy, port uint32) {
	if tp == nil {
		return
	}
	p.override(tp.LoadBalancer, tp.ConnectionPool, tp.Tls)
	for _, pl := range tp.PortLevelSettings {
		if pl.GetPort().GetNumber() == port {
			p.override(pl.LoadBalancer, pl.ConnectionPool, pl.Tls)
		}
	}
}

func (p *clusterPolicy) override(lb *istionet.LoadBalancerSettings, pool *istionet.ConnectionPoolSettings, tls *istionet.ClientTLSSettings) {
	if lb != nil {
		p.lb = lb
	}
	if pool != nil {
		p.pool = pool
	}
	if tls != nil {
		p.tls = tls
	}
}
