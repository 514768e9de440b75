package convert

import (
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/model"
)

// ReasonErrorBackendNotFound is the reason of the note on an Ingress whose custom-http-errors cannot
// be served: its default-backend Service is missing or has no port.
const ReasonErrorBackendNotFound = "ErrorBackendNotFound"

// ingressCustomErrors sends the error answers custom-http-errors lists to the first port of the
// default-backend Service, with the headers ingress-nginx sets that name the Ingress. Without that
// Service the answers are left as they are (nginx would fall back to its global default backend,
// which gatebridge does not have).
func (t *translator) ingressCustomErrors(ing *networkingv1.Ingress, ce *annotations.CustomErrors) *model.CustomErrors {
	svc, ok := t.ix.services[nsName{ing.Namespace, ce.Backend}]
	if !ok || len(svc.Spec.Ports) == 0 {
		t.note(ingressRef(ing), NoteWarning, ReasonErrorBackendNotFound,
			"custom-http-errors: the default-backend Service %s/%s is missing or has no port; error answers are left as they are", ing.Namespace, ce.Backend)
		return nil
	}
	t.useService(ing.Namespace, ce.Backend)
	return &model.CustomErrors{
		Codes:   ce.Codes,
		Host:    serviceHost(ing.Namespace, ce.Backend, t.opts.DomainSuffix),
		Port:    uint32(svc.Spec.Ports[0].Port),
		Headers: map[string]string{"X-Namespace": ing.Namespace, "X-Ingress-Name": ing.Name},
	}
}
