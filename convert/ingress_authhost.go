package convert

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	istionet "istio.io/api/networking/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/model"
)

// authURLHosts are the hosts whose paths an auth-url names: every host of the Ingress for $host, the
// host itself when it is one of the Ingress's; nil when the auth-url names another server.
func authURLHosts(ing *networkingv1.Ingress, host string) []string {
	var hosts []string
	for _, r := range ing.Spec.Rules {
		if r.Host != "" && !slices.Contains(hosts, r.Host) && (host == annotations.RequestHost || strings.EqualFold(host, r.Host)) {
			hosts = append(hosts, r.Host)
		}
	}
	return hosts
}

// authHostBackend points the check requests of an auth-url of the request's own host (oauth2-proxy's
// https://$host/oauth2/auth, served by a second Ingress of the host) at the backend of the route that
// takes its path on those hosts, in the order the fleet's routes are matched (ingress-nginx's
// precedence). nginx sends the check through its own server (over TLS for https); gatebridge sends it
// straight to that backend over plain HTTP. Without one backend for every host, requests get 500.
func (t *translator) authHostBackend(fleet string, ing *networkingv1.Ingress, ea *annotations.ExtAuth, hosts []string, out *model.ExtAuth) {
	path := ea.URL.Path
	var found *istionet.Destination
	for _, h := range hosts {
		dest, err := t.fleetPathBackend(fleet, h, path)
		if err == nil && found != nil && (dest.Host != found.Host || dest.Port.GetNumber() != found.Port.GetNumber()) {
			err = fmt.Errorf("its path goes to another backend on host %s", h)
		}
		if err != nil {
			t.note(ingressRef(ing), NoteWarning, ReasonAuthServiceInvalid, "auth-url %s: %v; requests get 500", ea.URL.Redacted(), err)
			return
		}
		found = dest
	}
	out.Host, out.Port = found.Host, found.Port.GetNumber()
	t.note(ingressRef(ing), NoteWarning, ReasonApproximatedAnnotation, "auth-url %s: check requests go to the backend of %s on %s (%s port %d) over plain HTTP, "+
		"not through the proxy's own %s server as nginx sends them", ea.URL.Redacted(), path, strings.Join(hosts, ", "), found.Host, out.Port, ea.URL.Scheme)
}

// fleetPathBackend is the destination of the first route of a fleet's Ingress routes for host that
// takes path whatever the port, headers and query (the main backend: a canary's weight is ignored).
func (t *translator) fleetPathBackend(fleet, host, path string) (*istionet.Destination, error) {
	for _, vs := range t.result.Snapshot.VirtualServices {
		if vs.Fleet != fleet || vs.Origin != model.OriginIngress || !slices.Contains(vs.Spec.Hosts, host) {
			continue
		}
		for _, r := range vs.Spec.Http {
			if !slices.ContainsFunc(r.Match, func(m *istionet.HTTPMatchRequest) bool { return plainPathMatch(m, path) }) {
				continue
			}
			if len(r.Route) == 0 || r.Route[0].Destination.GetPort() == nil {
				return nil, fmt.Errorf("path %s of host %s is not served by a backend", path, host)
			}
			best := r.Route[0]
			for _, d := range r.Route[1:] {
				if d.Weight > best.Weight {
					best = d
				}
			}
			return best.Destination, nil
		}
	}
	return nil, fmt.Errorf("no path of host %s takes %s", host, path)
}

// plainPathMatch says whether a route match without port, header or query conditions takes path.
func plainPathMatch(m *istionet.HTTPMatchRequest, path string) bool {
	if m.Port != 0 || len(m.Headers) > 0 || len(m.QueryParams) > 0 || len(m.WithoutHeaders) > 0 || m.Method != nil {
		return false
	}
	switch u := m.Uri.GetMatchType().(type) {
	case nil:
		return true
	case *istionet.StringMatch_Exact:
		return path == u.Exact
	case *istionet.StringMatch_Prefix:
		return strings.HasPrefix(path, u.Prefix)
	case *istionet.StringMatch_Regex:
		re, err := regexp.Compile("^(?:" + u.Regex + ")$")
		return err == nil && re.MatchString(path)
	}
	return false
}
