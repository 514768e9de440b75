package convert

import (
	istionet "istio.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/model"
)

// destinationRuleFor says how Envoy talks to a backend whose ports need more than HTTP/1.1 in clear
// text: h2c and gRPC ports get HTTP/2 (UPGRADE), https ports get TLS origination. It returns nil when
// every port is plain. The rule does not depend on the fleet, so its Fleet is empty.
func destinationRuleFor(svc model.Service) *model.DestinationRule {
	var ports []*istionet.TrafficPolicy_PortTrafficPolicy
	for _, p := range svc.Ports {
		pp := &istionet.TrafficPolicy_PortTrafficPolicy{Port: &istionet.PortSelector{Number: p.Number}}
		switch p.Protocol {
		case model.ProtocolHTTP2, model.ProtocolGRPC:
			pp.ConnectionPool = &istionet.ConnectionPoolSettings{Http: &istionet.ConnectionPoolSettings_HTTPSettings{
				H2UpgradePolicy: istionet.ConnectionPoolSettings_HTTPSettings_UPGRADE,
			}}
		case model.ProtocolHTTPS:
			pp.Tls = &istionet.ClientTLSSettings{Mode: istionet.ClientTLSSettings_SIMPLE}
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
