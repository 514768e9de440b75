package convert

import (
	"cmp"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/model"
)

type nsName struct{ namespace, name string }

// compareNsName orders keys by namespace, then name.
func compareNsName(a, b nsName) int {
	return cmp.Or(cmp.Compare(a.namespace, b.namespace), cmp.Compare(a.name, b.name))
}

// index gives translation constant-time lookups into the Input.
type index struct {
	services   map[nsName]*corev1.Service
	slices     map[nsName][]*discoveryv1.EndpointSlice // by Service
	namespaces map[string]*corev1.Namespace
	grants     map[string][]*gwapiv1.ReferenceGrant // by namespace
}

func newIndex(in *Input) *index {
	ix := &index{
		services:   map[nsName]*corev1.Service{},
		slices:     map[nsName][]*discoveryv1.EndpointSlice{},
		namespaces: map[string]*corev1.Namespace{},
		grants:     map[string][]*gwapiv1.ReferenceGrant{},
	}
	for i := range in.Services {
		s := &in.Services[i]
		ix.services[nsName{s.Namespace, s.Name}] = s
	}
	for i := range in.EndpointSlices {
		es := &in.EndpointSlices[i]
		if svc := es.Labels[discoveryv1.LabelServiceName]; svc != "" {
			key := nsName{es.Namespace, svc}
			ix.slices[key] = append(ix.slices[key], es)
		}
	}
	for i := range in.Namespaces {
		ix.namespaces[in.Namespaces[i].Name] = &in.Namespaces[i]
	}
	for i := range in.ReferenceGrants {
		g := &in.ReferenceGrants[i]
		ix.grants[g.Namespace] = append(ix.grants[g.Namespace], g)
	}
	return ix
}

// namespaceLabels returns the labels of a namespace; a namespace that is not in the input has only the
// kubernetes.io/metadata.name label the API server always sets.
func (ix *index) namespaceLabels(ns string) map[string]string {
	if n, ok := ix.namespaces[ns]; ok {
		labels := map[string]string{corev1.LabelMetadataName: ns}
		for k, v := range n.Labels {
			labels[k] = v
		}
		return labels
	}
	return map[string]string{corev1.LabelMetadataName: ns}
}

// refAllowed reports whether an object of fromGroup/fromKind in fromNS may reference the object
// toGroup/toKind/toName in toNS: always within a namespace, across namespaces only with a ReferenceGrant
// in the target namespace.
func (ix *index) refAllowed(fromGroup, fromKind, fromNS, toGroup, toKind, toNS, toName string) bool {
	if fromNS == toNS {
		return true
	}
	for _, g := range ix.grants[toNS] {
		if grantAllows(g, fromGroup, fromKind, fromNS, toGroup, toKind, toName) {
			return true
		}
	}
	return false
}

func grantAllows(g *gwapiv1.ReferenceGrant, fromGroup, fromKind, fromNS, toGroup, toKind, toName string) bool {
	fromOK := slices.ContainsFunc(g.Spec.From, func(f gwapiv1.ReferenceGrantFrom) bool {
		return string(f.Group) == fromGroup && string(f.Kind) == fromKind && string(f.Namespace) == fromNS
	})
	if !fromOK {
		return false
	}
	return slices.ContainsFunc(g.Spec.To, func(t gwapiv1.ReferenceGrantTo) bool {
		return string(t.Group) == toGroup && string(t.Kind) == toKind && (t.Name == nil || *t.Name == "" || string(*t.Name) == toName)
	})
}

// serviceHost is the destination host of a Service.
func serviceHost(namespace, name, domain string) string {
	return fmt.Sprintf("%s.%s.svc.%s", name, namespace, domain)
}

// protocolOf maps a Service port to the protocol Envoy must speak to its endpoints.
func protocolOf(p corev1.ServicePort) model.Protocol {
	ap := ""
	if p.AppProtocol != nil {
		ap = *p.AppProtocol
	}
	switch ap {
	case "kubernetes.io/h2c", "h2c", "http2":
		return model.ProtocolHTTP2
	case "grpc":
		return model.ProtocolGRPC
	case "kubernetes.io/ws", "ws", "kubernetes.io/wss", "wss":
		return model.ProtocolWebSocket
	case "https":
		return model.ProtocolHTTPS
	case "tcp":
		return model.ProtocolTCP
	case "tls":
		return model.ProtocolTLS
	}
	return model.ProtocolHTTP
}

// modelService builds the model of a Service: its ports and the ready endpoints of each, read from the
// Service's EndpointSlices. A port that no slice names has no endpoints (Envoy answers 503).
func (ix *index) modelService(svc *corev1.Service, domain string) model.Service {
	out := model.Service{Name: svc.Name, Namespace: svc.Namespace, Host: serviceHost(svc.Namespace, svc.Name, domain)}
	for _, p := range svc.Spec.Ports {
		if p.Protocol != "" && p.Protocol != corev1.ProtocolTCP {
			continue
		}
		sp := model.ServicePort{Name: p.Name, Number: uint32(p.Port), Protocol: protocolOf(p)}
		sp.Endpoints = ix.endpointsFor(svc, p)
		out.Ports = append(out.Ports, sp)
	}
	return out
}

func (ix *index) endpointsFor(svc *corev1.Service, p corev1.ServicePort) []model.Endpoint {
	var eps []model.Endpoint
	seen := map[model.Endpoint]bool{}
	for _, es := range ix.slices[nsName{svc.Namespace, svc.Name}] {
		port := slicePort(es, p.Name)
		if port == 0 {
			continue
		}
		for _, ep := range es.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			for _, addr := range ep.Addresses {
				e := model.Endpoint{Address: addr, Port: port}
				if !seen[e] {
					seen[e] = true
					eps = append(eps, e)
				}
			}
		}
	}
	slices.SortFunc(eps, func(a, b model.Endpoint) int {
		return cmp.Or(cmp.Compare(a.Address, b.Address), cmp.Compare(a.Port, b.Port))
	})
	return eps
}

func slicePort(es *discoveryv1.EndpointSlice, name string) uint32 {
	for _, p := range es.Ports {
		pn := ""
		if p.Name != nil {
			pn = *p.Name
		}
		if pn == name && p.Port != nil {
			return uint32(*p.Port)
		}
	}
	return 0
}

// olderFirst orders objects oldest first, then by namespace and name: the order in which conflicts are
// resolved, as both the Ingress and the Gateway API specifications ask.
func olderFirst(a, b *metav1.ObjectMeta) int {
	if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}
