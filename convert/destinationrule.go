package convert

import (
	istionet "istio.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/model"
)

// destinationRuleFor says how Envoy talks to a backend whose ports speak HTTP/2 in clear text (h2c, or
// gRPC): UPGRADE. It returns nil when every port is HTTP/1.1 or opaque. TLS origination is not derived
// from appProtocol (a passthrough TLSRoute to such a port must not be wrapped twice); BackendTLSPolicy
// and annotations ask for it explicitly. The rule does not depend on the fleet, so its Fleet is empty.
func destinationRuleFor(svc model.Service) *model.DestinationRule {
	var ports []*istionet.TrafficPolicy_PortTrafficPolicy
	for _, p := range svc.Ports {
		pp := &istionet.TrafficPolicy_PortTrafficPolicy{Port: &istionet.PortSelector{Number: p.Number}}
		switch p.Protocol {
		case model.ProtocolHTTP2, model.ProtocolGRPC:
			pp.ConnectionPool = &istionet.ConnectionPoolSettings{Http: &istionet.ConnectionPoolSettings_HTTPSettings{
				H2UpgradePolicy: istionet.ConnectionPoolSettings_HTTPSettings_UPGRADE,
			}}
		default:
			continue
		}
		ports = append(ports, pp)
	}
	if len(ports) == 0 {
		return nil
	}
	return &model.DestinationRule{
		Meta: model.Meta{Name: svc.Name + "-gatebridge", Namespace: svc.Namespace, Sources: []string{"Service/" + svc.Namespace + "/" + svc.Name}},
		Spec: &istionet.DestinationRule{Host: svc.Host, TrafficPolicy: &istionet.TrafficPolicy{PortLevelSettings: ports}},
	}
}
