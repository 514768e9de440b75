package convert

import (
	"fmt"
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

// HostPath is one path a class of Ingresses serves for a host: the Ingress it comes from, and whether it
// is a default backend (spec.defaultBackend or the default-backend annotation).
type HostPath struct {
	Ingress *networkingv1.Ingress
	Default bool
}

// HostTable is what the Ingresses of one class serve, by host ("*" for rules without a host): the input
// of DecideHostNames. gatebridge migrate fills it from its own plan to take the same decisions.
type HostTable struct {
	// Ingresses are the Ingresses of the class, oldest first; Routing gives their ingress-nginx settings.
	Ingresses []*networkingv1.Ingress
	Routing   func(*networkingv1.Ingress) annotations.NginxRouting
	// Hosts are the paths served, by host; Passthrough the ssl-passthrough Ingress of each host whose
	// TLS connections are passed through.
	Hosts       map[string][]HostPath
	Passthrough map[string]*networkingv1.Ingress
}

// HostNames are the extra names of the hosts of a class: server-alias and from-to-www-redirect.
type HostNames struct {
	// Aliases are, by host, the names served as the host, sorted; Owners the Ingress each host takes
	// them from.
	Aliases map[string][]string
	Owners  map[string]*networkingv1.Ingress
	// Redirects are, by name, the host a from-to-www-redirect sends it to.
	Redirects map[string]WWWRedirect
}

// WWWRedirect redirects every request for a name (308) to the same scheme, port, path and query on To.
type WWWRedirect struct {
	To string
	// Ingresses are the Ingresses of To that ask for it.
	Ingresses []*networkingv1.Ingress
}

// notes collects the notes of the pure decisions of this file.
type notes []Note

func (n *notes) warn(ing *networkingv1.Ingress, format string, args ...any) {
	*n = append(*n, Note{Object: ingressRef(ing), Type: NoteWarning, Reason: ReasonInvalidAnnotation, Message: fmt.Sprintf(format, args...)})
}

// taken reports whether name is a host of the table, served or passed through, and the Ingress that has it.
func (tab HostTable) taken(name string) (*networkingv1.Ingress, bool) {
	if paths, ok := tab.Hosts[name]; ok && len(paths) > 0 {
		return paths[0].Ingress, true
	}
	if ing, ok := tab.Passthrough[name]; ok {
		return ing, true
	}
	return nil, false
}

// DecideHostNames gathers the aliases and www redirects of a class as ingress-nginx does: a host takes the
// aliases of its oldest Ingress that has some; an alias that is a host of the class, or an alias of a
// host sorted before, is ignored; a host redirects from its www twin (or to it) when one of its paths
// comes from an Ingress asking for it and the twin is neither a host nor an alias of the class. The
// notes say what is ignored and why.
func DecideHostNames(tab HostTable) (HostNames, []Note) {
	var n notes
	owners := tab.aliasOwners(&n)
	names := HostNames{Aliases: map[string][]string{}, Owners: owners, Redirects: map[string]WWWRedirect{}}
	claimed := map[string]string{} // alias -> host
	for _, host := range slices.Sorted(maps.Keys(owners)) {
		ing := owners[host]
		for _, a := range tab.Routing(ing).Hosts.Aliases {
			other, isHost := tab.taken(a)
			switch {
			case a == host:
			case isHost:
				n.warn(ing, "annotation %sserver-alias: %q is a host of Ingress %s/%s; that Ingress serves it", annotations.NginxPrefix, a, other.Namespace, other.Name)
			case claimed[a] != "":
				n.warn(ing, "annotation %sserver-alias: %q is already an alias of host %q; it stays there", annotations.NginxPrefix, a, claimed[a])
			default:
				claimed[a] = host
				names.Aliases[host] = append(names.Aliases[host], a)
			}
		}
	}
	for _, host := range slices.Sorted(maps.Keys(tab.Hosts)) {
		tab.collectWWWRedirect(&n, host, claimed, names.Redirects)
	}
	return names, n
}

// aliasOwners are, by host, the oldest Ingress of the host that has aliases. Canary and ssl-passthrough
// Ingresses have none: their hosts belong to other Ingresses or are not served over HTTP.
func (tab HostTable) aliasOwners(n *notes) map[string]*networkingv1.Ingress {
	owners := map[string]*networkingv1.Ingress{}
	for _, ing := range tab.Ingresses {
		r := tab.Routing(ing)
		if len(r.Hosts.Aliases) == 0 || r.Canary.Enabled { // a canary's server-alias has an Ignored finding
			continue
		}
		if r.Hosts.SSLPassthrough {
			n.warn(ing, "annotation %sserver-alias: a canary or ssl-passthrough Ingress has no aliases", annotations.NginxPrefix)
			continue
		}
		for _, host := range ingressRuleHosts(ing) {
			if _, served := tab.Hosts[host]; !served || host == "*" {
				continue
			}
			if owner, ok := owners[host]; ok {
				n.warn(ing, "annotation %sserver-alias: host %q already has the aliases of Ingress %s/%s (older)", annotations.NginxPrefix, host, owner.Namespace, owner.Name)
				continue
			}
			owners[host] = ing
		}
	}
	return owners
}

// collectWWWRedirect adds the www redirect of host, if a rule path of the host asks for one.
func (tab HostTable) collectWWWRedirect(n *notes, host string, aliases map[string]string, out map[string]WWWRedirect) {
	var asking []*networkingv1.Ingress
	for _, p := range tab.Hosts[host] {
		if !p.Default && tab.Routing(p.Ingress).Hosts.FromToWWW && !slices.Contains(asking, p.Ingress) {
			asking = append(asking, p.Ingress)
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
	if other, ok := tab.taken(from); ok {
		why = "is a host of Ingress " + other.Namespace + "/" + other.Name
	} else if h := aliases[from]; h != "" {
		why = "is an alias of host " + h
	}
	if why != "" {
		for _, ing := range asking {
			n.warn(ing, "annotation %sfrom-to-www-redirect: %q %s; it is not redirected to %q", annotations.NginxPrefix, from, why, host)
		}
		return
	}
	out[from] = WWWRedirect{To: host, Ingresses: asking}
}

// NamesOverTLS decides which aliases and www redirect names are served over HTTPS, each with the
// certificate of its host: secretOf gives the Secret ("namespace/name") a host is served with over HTTPS
// ("" for none), taken whether a name already has its own; covers whether a Secret's certificate is valid
// for a name. It returns, by name, the host whose certificate serves it. A name the certificate does not
// cover is served over plain HTTP only, as nginx answers it with its default certificate: a note says so.
func (names HostNames) NamesOverTLS(secretOf func(host string) string, taken func(name string) bool, covers func(secret, name string) bool) (map[string]string, []Note) {
	var n notes
	out := map[string]string{}
	add := func(host, name string, ings []*networkingv1.Ingress, key string) {
		secret := secretOf(host)
		if secret == "" || taken(name) || out[name] != "" {
			return
		}
		if !covers(secret, name) {
			for _, ing := range ings {
				n.warn(ing, "annotation %s%s: the certificate of %s does not cover %q; it is served over plain HTTP only", annotations.NginxPrefix, key, secret, name)
			}
			return
		}
		out[name] = host
	}
	for _, host := range slices.Sorted(maps.Keys(names.Aliases)) {
		for _, a := range names.Aliases[host] {
			add(host, a, []*networkingv1.Ingress{names.Owners[host]}, "server-alias")
		}
	}
	for _, from := range slices.Sorted(maps.Keys(names.Redirects)) {
		r := names.Redirects[from]
		add(r.To, from, r.Ingresses, "from-to-www-redirect")
	}
	return out, n
}

// ingressNames takes the alias and www redirect decisions of a fleet.
func (t *translator) ingressNames(f *ingressFleet, c fleetCollection) HostNames {
	tab := HostTable{Ingresses: f.ingresses, Routing: f.routing, Hosts: map[string][]HostPath{}, Passthrough: map[string]*networkingv1.Ingress{}}
	for host, paths := range c.hosts {
		for _, p := range paths {
			tab.Hosts[host] = append(tab.Hosts[host], HostPath{Ingress: p.ing, Default: p.isDefault})
		}
	}
	for host, p := range c.passthrough {
		tab.Passthrough[host] = p.ing
	}
	names, n := DecideHostNames(tab)
	t.result.Notes = append(t.result.Notes, n...)
	return names
}

// serveNamesOverTLS adds each alias and www redirect name to the HTTPS server of its host when the
// server's certificate covers it and no server takes it yet.
func (t *translator) serveNamesOverTLS(servers []*istionet.Server, names HostNames) {
	byHost := map[string]*istionet.Server{}
	for _, s := range servers {
		for _, h := range s.Hosts {
			byHost[h] = s
		}
	}
	secretOf := func(host string) string {
		if s := byHost[host]; s != nil {
			return s.Tls.CredentialName
		}
		return ""
	}
	taken := func(name string) bool { return byHost[name] != nil }
	served, n := names.NamesOverTLS(secretOf, taken, t.secrets.Covers)
	t.result.Notes = append(t.result.Notes, n...)
	for _, name := range slices.Sorted(maps.Keys(served)) {
		s := byHost[served[name]]
		s.Hosts = append(s.Hosts, name)
		slices.Sort(s.Hosts)
	}
}

// buildWWWRedirects adds a VirtualService per www redirect: every request for the name is redirected
// (308) to the same scheme, port, path and query on its host.
func (t *translator) buildWWWRedirects(fleet, gwRef string, redirects map[string]WWWRedirect) {
	for _, from := range slices.Sorted(maps.Keys(redirects)) {
		r := redirects[from]
		var sources []string
		for _, ing := range r.Ingresses {
			sources = append(sources, ingressRef(ing).String())
		}
		slices.Sort(sources)
		t.addVirtualService(model.Meta{
			Name: fleet + "-" + hostSlug(from), Namespace: t.opts.IngressNamespace, Fleet: fleet,
			Origin: model.OriginIngress, Sources: sources,
		}, &istionet.VirtualService{Hosts: []string{from}, Gateways: []string{gwRef}, Http: []*istionet.HTTPRoute{{
			// Not named after an Ingress: its route policy applies to its paths, not to this redirect.
			Name: "from-to-www-redirect:" + from,
			Redirect: &istionet.HTTPRedirect{Authority: r.To, RedirectCode: wwwRedirectCode,
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
