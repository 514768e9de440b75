package convert

import (
	"maps"
	"slices"

	istionet "istio.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/model"
)

// destinationRuleFor says how Envoy talks to a backend Service. Its ports that speak HTTP/2 in clear
// text (h2c, or gRPC) get UPGRADE, and its ports BackendTLSPolicies target get their TLS origination
// (tls, by host and port). TLS origination is not derived from appProtocol (a passthrough TLSRoute to
// such a port must not be wrapped twice). Subsets carry what Ingress annotations ask
// (ingress_backend.go), and the routes of those Ingresses name them; a subset's own tls replaces the
// port's. It returns nil when there is nothing to say. The rule does not depend on the fleet, so its
// Fleet is empty.
func destinationRuleFor(svc model.Service, subsets []*istionet.Subset, subsetSources []string, tls map[hostPort]portTLS) *model.DestinationRule {
	var ports []*istionet.TrafficPolicy_PortTrafficPolicy
	for _, p := range svc.Ports {
		pp := &istionet.TrafficPolicy_PortTrafficPolicy{Port: &istionet.PortSelector{Number: p.Number}}
		if p.Protocol == model.ProtocolHTTP2 || p.Protocol == model.ProtocolGRPC {
			pp.ConnectionPool = &istionet.ConnectionPoolSettings{Http: &istionet.ConnectionPoolSettings_HTTPSettings{
				H2UpgradePolicy: istionet.ConnectionPoolSettings_HTTPSettings_UPGRADE,
			}}
		}
		if bt, ok := tls[hostPort{svc.Host, p.Number}]; ok {
			pp.Tls = bt.settings
		}
		if pp.ConnectionPool == nil && pp.Tls == nil {
			continue
		}
		ports = append(ports, pp)
	}
	if len(ports) == 0 && len(subsets) == 0 {
		return nil
	}
	spec := &istionet.DestinationRule{Host: svc.Host, Subsets: subsets}
	if len(ports) > 0 {
		spec.TrafficPolicy = &istionet.TrafficPolicy{PortLevelSettings: ports}
	}
	sources := append([]string{"Service/" + svc.Namespace + "/" + svc.Name}, subsetSources...)
	slices.Sort(sources)
	return &model.DestinationRule{
		Meta: model.Meta{Name: svc.Name + "-gatebridge", Namespace: svc.Namespace, Sources: sources},
		Spec: spec,
	}
}

// of returns the subsets Ingresses ask of a Service, sorted by name, and the Ingresses that ask.
func (s *ingressSubsets) of(svc nsName) ([]*istionet.Subset, []string) {
	var out []*istionet.Subset
	for _, name := range slices.Sorted(maps.Keys(s.subsets[svc])) {
		out = append(out, s.subsets[svc][name])
	}
	return out, sortedSet(s.sources[svc])
}
