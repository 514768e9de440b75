package model

import (
	"cmp"
	"slices"

	istionet "istio.io/api/networking/v1"
)

// Origin says which API an object of the model was derived from. The semantics that differ between
// Ingress and Gateway API are spelled out in the Istio resources themselves (segment prefixes become an
// exact match plus a "/"-terminated prefix, an unresolved Gateway API backend becomes a direct 500
// response, an Ingress wildcard host is narrowed to one DNS label by an authority match), so later stages
// read Origin only for reporting.
type Origin string

const (
	OriginIngress    Origin = "Ingress"
	OriginGatewayAPI Origin = "GatewayAPI"
)

// Meta names an object of the model and the Envoy fleet that serves it.
type Meta struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// Fleet is the group of Envoy proxies that serves the object: "ingress-<class>" for an IngressClass,
	// "gateway-<namespace>-<name>" for a Gateway API Gateway.
	Fleet  string `json:"fleet"`
	Origin Origin `json:"origin"`
	// Sources lists the user objects ("Kind/namespace/name") the object was built from, sorted.
	Sources []string `json:"sources,omitempty"`
}

// FleetLabel is the selector label of every Istio Gateway in the model; its value is the fleet name.
const FleetLabel = "gatebridge.dev/fleet"

// UnresolvedBackendHost is the destination host of a Gateway API backend that does not resolve (missing
// Service, forbidden cross-namespace reference, unsupported kind). Requests sent to it must be answered
// with HTTP 500, as the Gateway API specification requires for the share of traffic of such a backend.
const UnresolvedBackendHost = "unresolved-backend.gatebridge.invalid"

// Gateway is one Istio Gateway: the listeners of one fleet. Every hostname of an HTTP or HTTPS server
// is its own virtual host, even when no VirtualService names it: requests for it then get 404, never the
// routes of a less specific hostname on the same port (Gateway API listener isolation). VirtualServices
// already carry, for a specific hostname, the routes of the wildcards that cover it, in precedence order.
type Gateway struct {
	Meta
	Spec *istionet.Gateway `json:"spec"`
}

// VirtualService is one Istio VirtualService: the routes of one fleet for one hostname (HTTP) or one
// port (TLS and TCP).
type VirtualService struct {
	Meta
	Spec *istionet.VirtualService `json:"spec"`
}

// DestinationRule is one Istio DestinationRule: how a fleet talks to one backend Service.
type DestinationRule struct {
	Meta
	Spec *istionet.DestinationRule `json:"spec"`
}

// Protocol is the application protocol of a Service port, in Istio's names.
type Protocol string

const (
	ProtocolHTTP      Protocol = "HTTP"
	ProtocolHTTP2     Protocol = "HTTP2" // h2c (cleartext HTTP/2 with prior knowledge)
	ProtocolGRPC      Protocol = "GRPC"
	ProtocolHTTPS     Protocol = "HTTPS"
	ProtocolWebSocket Protocol = "WS"
	ProtocolTCP       Protocol = "TCP"
	ProtocolTLS       Protocol = "TLS"
)

// Service is a backend: a Kubernetes Service with the endpoints of each port.
type Service struct {
	Name      string        `json:"name"`
	Namespace string        `json:"namespace"`
	Host      string        `json:"host"` // the FQDN destinations use: name.namespace.svc.<domain>
	Ports     []ServicePort `json:"ports"`
}

// ServicePort is one port of a Service and the ready endpoints behind it.
type ServicePort struct {
	Name      string     `json:"name,omitempty"`
	Number    uint32     `json:"number"`
	Protocol  Protocol   `json:"protocol"`
	Endpoints []Endpoint `json:"endpoints,omitempty"`
}

// Endpoint is one address:port behind a Service port.
type Endpoint struct {
	Address string `json:"address"`
	Port    uint32 `json:"port"`
}

// Snapshot is the whole model at one point in time.
type Snapshot struct {
	Gateways         []Gateway         `json:"gateways,omitempty"`
	VirtualServices  []VirtualService  `json:"virtualServices,omitempty"`
	DestinationRules []DestinationRule `json:"destinationRules,omitempty"`
	Services         []Service         `json:"services,omitempty"`
	// RoutePolicies are gatebridge's extension of the Istio model (policy.go).
	RoutePolicies []RoutePolicy `json:"routePolicies,omitempty"`
	Secrets       []TLSSecret   `json:"-"`
}

func compareMeta(a, b Meta) int {
	return cmp.Or(cmp.Compare(a.Fleet, b.Fleet), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

// Sort orders every slice of the snapshot so that equal inputs give byte-identical output.
func (s *Snapshot) Sort() {
	slices.SortFunc(s.Gateways, func(a, b Gateway) int { return compareMeta(a.Meta, b.Meta) })
	slices.SortFunc(s.VirtualServices, func(a, b VirtualService) int { return compareMeta(a.Meta, b.Meta) })
	slices.SortFunc(s.DestinationRules, func(a, b DestinationRule) int { return compareMeta(a.Meta, b.Meta) })
	sortPolicies(s.RoutePolicies)
	slices.SortFunc(s.Secrets, func(a, b TLSSecret) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(s.Services, func(a, b Service) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	for i := range s.Services {
		slices.SortFunc(s.Services[i].Ports, func(a, b ServicePort) int { return cmp.Compare(a.Number, b.Number) })
		for j := range s.Services[i].Ports {
			slices.SortFunc(s.Services[i].Ports[j].Endpoints, func(a, b Endpoint) int {
				return cmp.Or(cmp.Compare(a.Address, b.Address), cmp.Compare(a.Port, b.Port))
			})
		}
	}
}

// Fleets returns the sorted names of the fleets the snapshot mentions.
func (s *Snapshot) Fleets() []string {
	var out []string
	for _, g := range s.Gateways {
		out = append(out, g.Fleet)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TLSSecret is the TLS material of one Secret, named "namespace/name" as the Gateway servers'
// credentialName(s) and the DestinationRules' credentialName name it: a certificate chain and its
// private key (tls.crt, tls.key), and CA certificates (ca.crt) that DestinationRules verify backends
// with. A Secret a DestinationRule names for SIMPLE TLS may hold CA certificates only. Its bytes never
// go to logs.
type TLSSecret struct {
	Name string `json:"name"`
	Cert []byte `json:"-"`
	Key  []byte `json:"-"`
	CA   []byte `json:"-"`
}

// String names the secret without its bytes, so that printing it cannot leak them.
func (s TLSSecret) String() string { return "TLSSecret(" + s.Name + ")" }

// GoString is String, for %#v.
func (s TLSSecret) GoString() string { return s.String() }

// Credentials are the TLS Secrets ("namespace/name") a server names: credentialNames, or else
// credentialName.
func Credentials(t *istionet.ServerTLSSettings) []string {
	switch {
	case t == nil:
		return nil
	case len(t.CredentialNames) > 0:
		return t.CredentialNames
	case t.CredentialName != "":
		return []string{t.CredentialName}
	}
	return nil
}

// ClientTLS lists the TLS settings of a DestinationRule at every level: its traffic policy and each
// port's, then each subset's and each of its ports'.
func ClientTLS(dr *istionet.DestinationRule) []*istionet.ClientTLSSettings {
	var out []*istionet.ClientTLSSettings
	add := func(tp *istionet.TrafficPolicy) {
		if tp == nil {
			return
		}
		if tp.Tls != nil {
			out = append(out, tp.Tls)
		}
		for _, pl := range tp.PortLevelSettings {
			if pl.GetTls() != nil {
				out = append(out, pl.Tls)
			}
		}
	}
	add(dr.GetTrafficPolicy())
	for _, ss := range dr.GetSubsets() {
		add(ss.GetTrafficPolicy())
	}
	return out
}
