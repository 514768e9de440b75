package convert

import (
	"fmt"
	"maps"
	"slices"

	istionet "istio.io/api/networking/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/model"
)

// collectPassthrough takes the hosts of an ssl-passthrough Ingress: TLS connections whose SNI names
// one go, undecrypted, to the backend of the host's path "/". As ingress-nginx, its HTTP paths are not
// served.
func (t *translator) collectPassthrough(ing *networkingv1.Ingress, passthrough map[string]ingressPath) {
	for ri, rule := range ing.Spec.Rules {
		if rule.Host == "" || rule.Host == "*" {
			t.note(ingressRef(ing), NoteWarning, ReasonUnsupportedBackend, "rules[%d]: ssl-passthrough needs a host, which TLS clients send as SNI; the rule is not served", ri)
			continue
		}
		p, ok := passthroughPath(ing, ri, rule)
		if !ok {
			t.note(ingressRef(ing), NoteWarning, ReasonUnsupportedBackend, "rules[%d]: ssl-passthrough sends TLS connections to the backend of path /, which host %q does not have; the host is not served", ri, rule.Host)
			continue
		}
		if owner, taken := passthrough[rule.Host]; taken {
			t.note(ingressRef(ing), NoteWarning, ReasonTLSConflict, "rules[%d]: host %q is already passed through by Ingress %s/%s (older)", ri, rule.Host, owner.ing.Namespace, owner.ing.Name)
			continue
		}
		passthrough[rule.Host] = p
	}
}

func passthroughPath(ing *networkingv1.Ingress, ri int, rule networkingv1.IngressRule) (ingressPath, bool) {
	if rule.HTTP == nil {
		return ingressPath{}, false
	}
	for pi, path := range rule.HTTP.Paths {
		if path.Path == "/" || path.Path == "" {
			return ingressPath{ing: ing, host: rule.Host, backend: path.Backend, what: fmt.Sprintf("rules[%d].http.paths[%d]", ri, pi)}, true
		}
	}
	return ingressPath{}, false
}

// dropPassthroughHosts removes the passed-through hosts from the servers that terminate TLS.
func dropPassthroughHosts(servers []*istionet.Server, passthrough map[string]ingressPath) []*istionet.Server {
	var out []*istionet.Server
	for _, s := range servers {
		s.Hosts = slices.DeleteFunc(s.Hosts, func(h string) bool { _, ok := passthrough[h]; return ok })
		if len(s.Hosts) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// serverHosts are the hosts of servers.
func serverHosts(servers []*istionet.Server) map[string]bool {
	out := map[string]bool{}
	for _, s := range servers {
		for _, h := range s.Hosts {
			out[h] = true
		}
	}
	return out
}

// buildPassthrough adds the VirtualService of the passed-through hosts of a fleet and returns the
// Gateway server that takes their TLS connections on the HTTPS port.
func (t *translator) buildPassthrough(fleet, gwRef string, passthrough map[string]ingressPath) []*istionet.Server {
	vs := &istionet.VirtualService{Gateways: []string{gwRef}}
	sources := map[string]bool{}
	for _, host := range slices.Sorted(maps.Keys(passthrough)) {
		p := passthrough[host]
		if p.backend.Service == nil {
			t.note(ingressRef(p.ing), NoteWarning, ReasonUnsupportedBackend, "%s: ssl-passthrough needs a service backend; host %q is not served", p.what, host)
			continue
		}
		dest, err := t.ingressDestination(p.ing.Namespace, p.backend.Service)
		if err != nil {
			t.note(ingressRef(p.ing), NoteWarning, ReasonBackendNotFound, "%s: %v; TLS connections to host %q are not served", p.what, err, host)
			continue
		}
		vs.Hosts = append(vs.Hosts, host)
		sources[ingressRef(p.ing).String()] = true
		vs.Tls = append(vs.Tls, &istionet.TLSRoute{
			Match: []*istionet.TLSMatchAttributes{{SniHosts: []string{host}, Port: t.opts.IngressHTTPSPort}},
			Route: []*istionet.RouteDestination{{Destination: dest}},
		})
	}
	if len(vs.Hosts) == 0 {
		return nil
	}
	t.addVirtualService(model.Meta{Name: fleet + "-passthrough", Namespace: t.opts.IngressNamespace, Fleet: fleet,
		Origin: model.OriginIngress, Sources: sortedSet(sources)}, vs)
	return []*istionet.Server{{
		Name:  "passthrough",
		Port:  &istionet.Port{Number: t.opts.IngressHTTPSPort, Protocol: "TLS", Name: "passthrough"},
		Hosts: vs.Hosts,
		Tls:   &istionet.ServerTLSSettings{Mode: istionet.ServerTLSSettings_PASSTHROUGH},
	}}
}

// collectNginxDefaultBackend makes the Service of the default-backend annotation take the requests to
// the hosts of an Ingress's rules that no path takes (on the Service's first port), for each host no
// older Ingress gave one.
func (t *translator) collectNginxDefaultBackend(ing *networkingv1.Ingress, name string, ruleHosts []string, defaults map[string]ingressPath) {
	if name == "" {
		return
	}
	backend := networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: name}}
	if svc, ok := t.ix.services[nsName{ing.Namespace, name}]; ok && len(svc.Spec.Ports) > 0 {
		backend.Service.Port.Number = svc.Spec.Ports[0].Port
	}
	for _, h := range ruleHosts {
		if _, ok := defaults[h]; !ok {
			defaults[h] = ingressPath{ing: ing, host: h, path: pathMatch{kind: pathSegmentPrefix, value: "/"}, backend: backend, what: "default-backend", isDefault: true}
		}
	}
}
