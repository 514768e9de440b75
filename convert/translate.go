package convert

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"

	istionet "istio.io/api/networking/v1"
	networkingv1 "k8s.io/api/networking/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/certs"
	"github.com/gatebridge/gatebridge/model"
)

// Translate turns the input into the model, the status of every object gatebridge serves and notes. It
// never fails as a whole: a bad object gets a status condition or a note, and the others are translated.
func Translate(in Input, opts Options) Result {
	t := &translator{
		opts:         opts.withDefaults(),
		in:           &in,
		ix:           newIndex(&in),
		services:     map[nsName]bool{},
		vsNames:      map[string]bool{},
		grpcPorts:    map[grpcPort]bool{},
		policies:     map[nsName]*resolvedPolicy{},
		policyRoutes: map[string]*resolvedPolicy{},
		secrets:      certs.Validate(in.Secrets, opts.Now.Time),
		// BackendTLSPolicy: who uses each Service port, what TLS each port gets, the policies' CAs.
		backendParents: map[hostPort]map[nsName]bool{},
		policyTLS:      map[hostPort]portTLS{},
		policyCAs:      map[string]model.TLSSecret{},
		frontendCAs:    map[string]model.TLSSecret{},
		clientCerts:    map[nsName]gatewayClientCert{},
		result: Result{Status: Status{
			Ingresses:          map[ObjectRef]networkingv1.IngressStatus{},
			GatewayClasses:     map[ObjectRef]gwapiv1.GatewayClassStatus{},
			Gateways:           map[ObjectRef]gwapiv1.GatewayStatus{},
			ListenerSets:       map[ObjectRef]gwapiv1.ListenerSetStatus{},
			Routes:             map[ObjectRef]gwapiv1.RouteStatus{},
			BackendTLSPolicies: map[ObjectRef]gwapiv1.PolicyStatus{},
		}},
	}
	t.translateIngresses()
	t.translateGatewayAPI()
	t.translateBackendTLSPolicies()
	t.addServices()
	t.addSecrets()
	t.result.Snapshot.Sort()
	slices.SortStableFunc(t.result.Notes, func(a, b Note) int {
		return cmp.Or(compareRefs(a.Object, b.Object), cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.Message, b.Message))
	})
	t.result.Notes = slices.Compact(t.result.Notes)
	t.result.SecretsChange = t.secrets.NextChange()
	return t.result
}

type translator struct {
	opts   Options
	in     *Input
	ix     *index
	result Result
	// services are the Services some route sends traffic to; they become model.Services.
	services map[nsName]bool
	// httpBuckets and tlsBuckets collect Gateway API routes by where they are served.
	httpBuckets map[httpBucketKey][]httpEntry
	// listenerSets are the ListenerSets whose parent is one of gatebridge's Gateways, for routes that
	// name them as parents.
	listenerSets map[nsName]*listenerSetInfo
	tlsBuckets   map[tlsBucketKey][]tlsEntry
	vsNames      map[string]bool
	// grpcPorts are the Service ports GRPCRoutes send to: they speak HTTP/2 whatever their appProtocol.
	grpcPorts map[grpcPort]bool
	// subsets are the DestinationRule subsets Ingresses ask of their Services (ingress_backend.go).
	subsets ingressSubsets
	// policies are the RoutePolicies HTTPRoute rules name (nil: not in the input), translated once;
	// policyRoutes maps the names of the HTTP routes of those rules to their policy.
	policies     map[nsName]*resolvedPolicy
	policyRoutes map[string]*resolvedPolicy
	// secrets says, by "namespace/name", whether a Secret of the input can be served; each is checked
	// when first named.
	secrets *certs.Verdicts
	// backendParents are, by Service port, the Gateways whose routes send to it; policyTLS is the TLS
	// origination BackendTLSPolicies ask for on a port; policyCAs are their CA bundles by credential.
	backendParents map[hostPort]map[nsName]bool
	policyTLS      map[hostPort]portTLS
	policyCAs      map[string]model.TLSSecret
	// frontendCAs are the CA bundles that verify client certificates on Gateway ports, by credential.
	frontendCAs map[string]model.TLSSecret
	// clientCerts are the client certificates Gateways present to their TLS backends, by Gateway.
	clientCerts map[nsName]gatewayClientCert
}

type grpcPort struct {
	host string
	port uint32
}

func (t *translator) note(obj ObjectRef, typ, reason, format string, args ...any) {
	t.result.Notes = append(t.result.Notes, Note{Object: obj, Type: typ, Reason: reason, Message: fmt.Sprintf(format, args...)})
}

func (t *translator) useService(namespace, name string) {
	t.services[nsName{namespace, name}] = true
}

func (t *translator) addServices() {
	for _, k := range sortedKeys(t.services, compareNsName) {
		svc, ok := t.ix.services[k]
		if !ok {
			continue
		}
		ms := t.ix.modelService(svc, t.opts.DomainSuffix)
		if v, ok := svc.Annotations[annotations.EndpointsAnnotation]; ok {
			t.staticEndpoints(&ms, v)
		}
		for i, p := range ms.Ports {
			if t.grpcPorts[grpcPort{ms.Host, p.Number}] && p.Protocol == model.ProtocolHTTP {
				ms.Ports[i].Protocol = model.ProtocolGRPC
			}
		}
		t.result.Snapshot.Services = append(t.result.Snapshot.Services, ms)
		subsets, sources := t.subsets.of(k)
		if dr := destinationRuleFor(ms, subsets, sources, t.policyTLS); dr != nil {
			t.result.Snapshot.DestinationRules = append(t.result.Snapshot.DestinationRules, *dr)
			t.result.Snapshot.DestinationRules = append(t.result.Snapshot.DestinationRules, t.clientCertRules(ms, dr)...)
		}
	}
}

// staticEndpoints replaces the endpoints of every port of a Service by the annotation's list.
func (t *translator) staticEndpoints(ms *model.Service, v string) {
	eps, err := annotations.ParseEndpoints(v)
	if err != nil {
		t.note(ObjectRef{Kind: "Service", Namespace: ms.Namespace, Name: ms.Name}, NoteWarning, "InvalidEndpoints", "%v; EndpointSlices are used instead", err)
		return
	}
	for i := range ms.Ports {
		ms.Ports[i].Endpoints = nil
		for _, e := range eps {
			ms.Ports[i].Endpoints = append(ms.Ports[i].Endpoints, model.Endpoint{Address: e.Host, Port: e.Port})
		}
	}
}

// addVirtualService adds a VirtualService, making its name unique in its namespace: a host slug
// can meet a literal host (wildcard.example.com for *.example.com), and the later one then gets a suffix
// derived from its hosts.
func (t *translator) addVirtualService(meta model.Meta, spec *istionet.VirtualService) {
	key := meta.Namespace + "/" + meta.Name
	if t.vsNames[key] {
		h := fnv.New32a()
		h.Write([]byte(strings.Join(spec.Hosts, ",")))
		meta.Name = fmt.Sprintf("%s-%08x", meta.Name, h.Sum32())
		key = meta.Namespace + "/" + meta.Name
	}
	t.vsNames[key] = true
	t.result.Snapshot.VirtualServices = append(t.result.Snapshot.VirtualServices, model.VirtualService{Meta: meta, Spec: spec})
}

// hostSlug turns a hostname into a DNS-1123 label fit for an object name.
func hostSlug(host string) string {
	switch {
	case host == "*" || host == "":
		return "any"
	case strings.HasPrefix(host, "*."):
		return "wildcard." + host[2:]
	}
	return host
}

func sortedSet(m map[string]bool) []string {
	return slices.Sorted(maps.Keys(m))
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
