package convert

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	istionet "istio.io/api/networking/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/model"
)

// wwwRedirectCode is the code ingress-nginx answers from-to-www-redirect with (http-redirect-code).
const wwwRedirectCode = 308

// fleetNames are the extra names of a fleet's hosts: server-alias and from-to-www-redirect.
type fleetNames struct {
	// aliases are, by host, the names served as the host; owners the Ingress each host takes them from.
	aliases map[string][]string
	owners  map[string]*networkingv1.Ingress
	// redirects are, by name, the host a from-to-www-redirect sends it to, and the Ingresses that ask.
	redirects map[string]wwwRedirect
}

type wwwRedirect struct {
	to   string
	ings []*networkingv1.Ingress
}

// taken reports whether name is a host of the fleet, served or passed through.
func (c fleetCollection) taken(name string) (*networkingv1.Ingress, bool) {
	if paths, ok := c.hosts[name]; ok && len(paths) > 0 {
		return paths[0].ing, true
	}
	if p, ok := c.passthrough[name]; ok {
		return p.ing, true
	}
	return nil, false
}

// ingressNames gathers the aliases and www redirects of a fleet as ingress-nginx does: a host takes the
// aliases of its oldest Ingress that has some; an alias that is a host of the fleet, or an alias of a
// host sorted before, is ignored; a host redirects from its www twin (or to it) when one of its paths
// comes from an Ingress asking for it and the twin is neither a host nor an alias of the fleet.
func (t *translator) ingressNames(f *ingressFleet, c fleetCollection) fleetNames {
	owners := t.aliasOwners(f, c)
	names := fleetNames{aliases: map[string][]string{}, owners: owners, redirects: map[string]wwwRedirect{}}
	claimed := map[string]string{} // alias -> host
	for _, host := range slices.Sorted(maps.Keys(owners)) {
		ing := owners[host]
		for _, a := range f.routing(ing).Hosts.Aliases {
			other, isHost := c.taken(a)
			switch {
			case a == host:
			case isHost:
				t.note(ingressRef(ing), NoteWarning, ReasonInvalidAnnotation, "annotation %sserver-alias: %q is a host of Ingress %s/%s; that Ingress serves it", annotations.NginxPrefix, a, other.Namespace, other.Name)
			case claimed[a] != "":
				t.note(ingressRef(ing), NoteWarning, ReasonInvalidAnnotation, "annotation %sserver-alias: %q is already an alias of host %q; it stays there", annotations.NginxPrefix, a, claimed[a])
			default:
				claimed[a] = host
				names.aliases[host] = append(names.aliases[host], a)
			}
		}
	}
	for _, host := range slices.Sorted(maps.Keys(c.hosts)) {
		t.collectWWWRedirect(f, c, host, claimed, names.redirects)
	}
	return names
}

// aliasOwners are, by host, the oldest Ingress of the host that has aliases. Canary and ssl-passthrough
// Ingresses have none: their hosts belong to other Ingresses or are not served over HTTP.
func (t *translator) aliasOwners(f *ingressFleet, c fleetCollection) map[string]*networkingv1.Ingress {
	owners := map[string]*networkingv1.Ingress{}
	for _, ing := range f.ingresses {
		r := f.routing(ing)
		if len(r.Hosts.Aliases) == 0 {
			continue
		}
		if r.Canary.Enabled || r.Hosts.SSLPassthrough {
			t.note(ingressRef(ing), NoteWarning, ReasonInvalidAnnotation, "annotation %sserver-alias: a canary or ssl-passthrough Ingress has no aliases", annotations.NginxPrefix)
			continue
		}
		for _, host := range ingressRuleHosts(ing) {
			if _, served := c.hosts[host]; !served || host == "*" {
				continue
			}
			if owner, ok := owners[host]; ok {
				t.note(ingressRef(ing), NoteWarning, ReasonInvalidAnnotation, "annotation %sserver-alias: host %q already has the aliases of Ingress %s/%s (older)", annotations.NginxPrefix, host, owner.Namespace, owner.Name)
				continue
			}
			owners[host] = ing
		}
	}
	return owners
}

// collectWWWRedirect adds the www redirect of host, if a rule path of the host asks for one.
func (t *translator) collectWWWRedirect(f *ingressFleet, c fleetCollection, host string, aliases map[string]string, out map[string]wwwRedirect) {
	var asking []*networkingv1.Ingress
	for _, p := range c.hosts[host] {
		if !p.isDefault && f.routing(p.ing).Hosts.FromToWWW && !slices.Contains(asking, p.ing) {
			asking = append(asking, p.ing)
		}
	}
	if len(asking) == 0 || host == "*" || strings.HasPrefix(host, "*.") {
		return
	}
	from, isWWW := strings.CutPrefix(host, "www.")
	if !isWWW {
		from = "www." + host
	}
	why := ""
	if other, ok := c.taken(from); ok {
		why = "is a host of Ingress " + other.Namespace + "/" + other.Name
	} else if h := aliases[from]; h != "" {
		why = "is an alias of host " + h
	}
	if why != "" {
		for _, ing := range asking {
			t.note(ingressRef(ing), NoteWarning, ReasonInvalidAnnotation, "annotation %sfrom-to-www-redirect: %q %s; it is not redirected to %q", annotations.NginxPrefix, from, why, host)
		}
		return
	}
	out[from] = wwwRedirect{to: host, ings: asking}
}

// serveNamesOverTLS adds each alias and www redirect name to the HTTPS server of its host when the
// server's certificate covers it and no server takes it yet; otherwise it is served over plain HTTP
// only, as nginx answers it with its default certificate.
func (t *translator) serveNamesOverTLS(servers []*istionet.Server, names fleetNames) {
	byHost := map[string]*istionet.Server{}
	taken := map[string]bool{}
	for _, s := range servers {
		for _, h := range s.Hosts {
			byHost[h], taken[h] = s, true
		}
	}
	add := func(host, name string, ings []*networkingv1.Ingress, key string) {
		s := byHost[host]
		if s == nil || taken[name] {
			return
		}
		if !t.secrets.Covers(s.Tls.CredentialName, name) {
			for _, ing := range ings {
				t.note(ingressRef(ing), NoteWarning, ReasonInvalidAnnotation, "annotation %s%s: the certificate of %s does not cover %q; it is served over plain HTTP only", annotations.NginxPrefix, key, s.Tls.CredentialName, name)
			}
			return
		}
		taken[name] = true
		s.Hosts = append(s.Hosts, name)
		slices.Sort(s.Hosts)
	}
	for _, host := range slices.Sorted(maps.Keys(names.aliases)) {
		for _, a := range names.aliases[host] {
			add(host, a, []*networkingv1.Ingress{names.owners[host]}, "server-alias")
		}
	}
	for _, from := range slices.Sorted(maps.Keys(names.redirects)) {
		r := names.redirects[from]
		add(r.to, from, r.ings, "from-to-www-redirect")
	}
}

// buildWWWRedirects adds a VirtualService per www redirect: every request for the name is redirected
// (308) to the same scheme, port, path and query on its host.
func (t *translator) buildWWWRedirects(fleet, gwRef string, redirects map[string]wwwRedirect) {
	for _, from := range slices.Sorted(maps.Keys(redirects)) {
		r := redirects[from]
		var sources []string
		for _, ing := range r.ings {
			sources = append(sources, ingressRef(ing).String())
		}
		slices.Sort(sources)
		t.addVirtualService(model.Meta{
			Name: fleet + "-" + hostSlug(from), Namespace: t.opts.IngressNamespace, Fleet: fleet,
			Origin: model.OriginIngress, Sources: sources,
		}, &istionet.VirtualService{Hosts: []string{from}, Gateways: []string{gwRef}, Http: []*istionet.HTTPRoute{{
			// Not named after an Ingress: its route policy applies to its paths, not to this redirect.
			Name: "from-to-www-redirect:" + from,
			Redirect: &istionet.HTTPRedirect{Authority: r.to, RedirectCode: wwwRedirectCode,
				RedirectPort: &istionet.HTTPRedirect_DerivePort{DerivePort: istionet.HTTPRedirect_FROM_REQUEST_PORT}},
		}}})
	}
}

// widenAuthority lets the routes of a wildcard host, whose authority match holds requests to one label
// under it, take the requests to its aliases too.
func widenAuthority(routes []*istionet.HTTPRoute, host string, aliases []string) {
	if !strings.HasPrefix(host, "*.") || len(aliases) == 0 {
		return
	}
	own := ingressHostMatch(host).Authority.GetRegex()
	names := []string{`[^.]+` + regexp.QuoteMeta(host[1:])}
	for _, a := range aliases {
		if rest, ok := strings.CutPrefix(a, "*."); ok {
			names = append(names, `.+\.`+regexp.QuoteMeta(rest))
		} else {
			names = append(names, regexp.QuoteMeta(a))
		}
	}
	wide := regexMatch(`(?i)^(` + strings.Join(names, "|") + `)(:[0-9]+)?$`)
	for _, r := range routes {
		for _, m := range r.Match {
			if m.GetAuthority().GetRegex() == own {
				m.Authority = wide
			}
		}
	}
}
