package convert

import (
	"strings"

	istionet "istio.io/api/networking/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/annotations"
)

// acmeChallengePrefix is the path ingress-nginx never redirects to HTTPS (its no-tls-redirect-locations
// default), so that HTTP-01 challenges of a host that already has TLS can be answered.
const acmeChallengePrefix = "/.well-known/acme-challenge"

// sslRedirectCode is the code ingress-nginx redirects plain HTTP to HTTPS with (http-redirect-code).
const sslRedirectCode = 308

// urlRedirect is the Istio redirect of permanent-redirect or temporal-redirect.
func urlRedirect(u *annotations.NginxURLRedirect) *istionet.HTTPRedirect {
	r := &istionet.HTTPRedirect{Uri: u.Path, Authority: u.Host, Scheme: u.Scheme, RedirectCode: u.Code}
	if u.Port != 0 {
		r.RedirectPort = &istionet.HTTPRedirect_Port{Port: u.Port}
	}
	return r
}

// sslRedirectRoute is the route that redirects a path's plain HTTP requests to HTTPS, or nil: when
// the host has TLS (ssl-redirect, on by default) or force-ssl-redirect asks for it, unless the path
// already redirects elsewhere or takes ACME HTTP-01 challenges. It matches the HTTP port only.
func (t *translator) sslRedirectRoute(route *istionet.HTTPRoute, p ingressPath, r annotations.NginxRouting, hostTLS bool) *istionet.HTTPRoute {
	wanted := r.Redirect.ForceSSLRedirect || (hostTLS && !r.Redirect.NoSSLRedirect)
	if !wanted || route.Redirect != nil || strings.HasPrefix(p.path.value, acmeChallengePrefix) {
		return nil
	}
	red := &istionet.HTTPRoute{
		Name:     route.Name + "/ssl-redirect",
		Match:    []*istionet.HTTPMatchRequest{ingressHostMatch(p.host)},
		Redirect: &istionet.HTTPRedirect{Scheme: "https", RedirectCode: sslRedirectCode},
	}
	red.Match[0].Port = t.opts.IngressHTTPPort
	if t.opts.IngressHTTPSPort != 443 {
		red.Redirect.RedirectPort = &istionet.HTTPRedirect_Port{Port: t.opts.IngressHTTPSPort}
	}
	return red
}

// appRootRoute is the redirect (302) of a request for exactly "/" of a host to the app-root of the
// oldest Ingress of the host that sets one, with that Ingress; nil when none does.
func (t *translator) appRootRoute(f *ingressFleet, host string, paths []ingressPath) (*istionet.HTTPRoute, *networkingv1.Ingress) {
	var owner *networkingv1.Ingress
	for _, p := range paths {
		if !p.isDefault && f.routing(p.ing).Rewrite.AppRoot != "" && (owner == nil || olderFirst(&p.ing.ObjectMeta, &owner.ObjectMeta) < 0) {
			owner = p.ing
		}
	}
	if owner == nil {
		return nil, nil
	}
	m := ingressHostMatch(host)
	m.Uri = exactURI("/")
	return &istionet.HTTPRoute{
		Name:     owner.Namespace + "/" + owner.Name + "/app-root",
		Match:    []*istionet.HTTPMatchRequest{m},
		Redirect: &istionet.HTTPRedirect{Uri: f.routing(owner).Rewrite.AppRoot, RedirectCode: 302},
	}, owner
}
