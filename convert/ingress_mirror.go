package convert

import (
	"fmt"

	istionet "istio.io/api/networking/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/annotations"
)

// resolveMirrors resolves the mirror-target of each Ingress of a fleet to a port of a Service of the
// cluster, as auth-url is: its host must be <service>.<namespace>[.svc[.<cluster domain>]]. Another
// host, or a Service or port that does not exist, mirrors nothing: the note says why.
func (t *translator) resolveMirrors(f *ingressFleet) {
	f.mirrors = map[*networkingv1.Ingress]*istionet.HTTPMirrorPolicy{}
	for _, ing := range f.ingresses {
		m := f.routing(ing).Mirror
		if m == nil || f.routing(ing).Canary.Enabled { // a canary's mirror-target has an Ignored finding
			continue
		}
		dest, err := t.mirrorDestination(m)
		if err != nil {
			t.note(ingressRef(ing), NoteWarning, ReasonInvalidAnnotation, "annotation %smirror-target: %v; nothing is mirrored", annotations.NginxPrefix, err)
			continue
		}
		f.mirrors[ing] = &istionet.HTTPMirrorPolicy{Destination: dest}
	}
}

func (t *translator) mirrorDestination(m *annotations.NginxMirror) (*istionet.Destination, error) {
	svc, ns, ok := t.clusterService(m.Host)
	if !ok {
		return nil, fmt.Errorf("host %q is not a Service of the cluster (<service>.<namespace>[.svc[.%s]]), the only mirror targets gatebridge reaches", m.Host, t.opts.DomainSuffix)
	}
	return t.ingressDestination(ns, &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Number: int32(m.Port)}})
}
