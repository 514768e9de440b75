package migrate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/model"
)

// sameHostAuth is where gatebridge sends the checks of an auth-url of the request's own host (oauth2-proxy's
// https://$host/oauth2/auth): the Service and port of the route that takes its path, as the controller
// resolves it for the Ingress.
type sameHostAuth struct {
	service, namespace string
	port               int32
	// note is what the controller says of it (why it is approximated, or why it cannot be served).
	note string
}

// controllerView is the translation of the migrated Ingresses as gatebridge serves them, made once.
func (b *gwBuilder) controllerView() (*convert.Result, error) {
	if b.controller == nil {
		res, err := translateAsController(b.in, b.classes, b.opts)
		if err != nil {
			return nil, err
		}
		b.controller = &res
	}
	return b.controller, nil
}

// resolveSameHostAuth finds the backend the controller sends p's auth-url checks to. ok is false when
// the controller cannot resolve it (it answers 500), the note then saying why.
func (b *gwBuilder) resolveSameHostAuth(p *ingressPlan) (auth sameHostAuth, ok bool) {
	res, err := b.controllerView()
	if err != nil {
		return sameHostAuth{note: fmt.Sprintf("cannot translate the Ingresses as the controller does: %v", err)}, false
	}
	for _, n := range res.Notes {
		if n.Object == p.ref && strings.HasPrefix(n.Message, "auth-url ") &&
			(n.Reason == convert.ReasonApproximatedAnnotation || n.Reason == convert.ReasonAuthServiceInvalid) {
			auth.note = n.Message
		}
	}
	ea := ingressExtAuth(res.Snapshot.RoutePolicies, p.ref.String())
	if ea == nil || ea.Host == model.UnresolvedBackendHost {
		return auth, false
	}
	name, ns, found := clusterService(ea.Host)
	if !found {
		return sameHostAuth{note: fmt.Sprintf("the controller checks with %s, which is not a Service", ea.Host)}, false
	}
	auth.service, auth.namespace, auth.port = name, ns, int32(ea.Port)
	return auth, true
}

// ingressExtAuth is the external auth of the route policies made for an Ingress (source).
func ingressExtAuth(policies []model.RoutePolicy, source string) *model.ExtAuth {
	for _, rp := range policies {
		if rp.Origin == model.OriginIngress && rp.Spec.ExtAuth != nil && slices.Contains(rp.Sources, source) {
			return rp.Spec.ExtAuth
		}
	}
	return nil
}
