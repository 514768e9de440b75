package migrate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/convert"
)

// hostNameKeys are reported once the names of the whole class are decided.
var hostNameKeys = []string{"server-alias", "from-to-www-redirect"}

// convertHost and migrateHost turn a host between migrate's form ("" for rules without a host) and
// convert's ("*").
func convertHost(h string) string {
	if h == "" {
		return "*"
	}
	return h
}

func migrateHost(h string) string {
	if h == "*" {
		return ""
	}
	return h
}

// decideNames takes the controller's decisions on the aliases (server-alias) and www redirects
// (from-to-www-redirect) of a class, from the paths each Ingress keeps, and which of those names are
// served over HTTPS with the certificate of their host.
func (b *gwBuilder) decideNames(cb *classBuild) {
	byIng := map[*networkingv1.Ingress]*ingressPlan{}
	tab := convert.HostTable{
		Routing:     func(ing *networkingv1.Ingress) annotations.NginxRouting { return byIng[ing].settings.Routing },
		Hosts:       map[string][]convert.HostPath{},
		Passthrough: map[string]*networkingv1.Ingress{},
	}
	for _, p := range cb.plans {
		tab.Ingresses = append(tab.Ingresses, p.ing)
		byIng[p.ing] = p
	}
	for _, def := range []bool{false, true} { // rule paths first, as convert collects them
		for _, p := range cb.plans {
			if p.settings.Routing.Canary.Enabled {
				continue // its paths joined its primary's
			}
			p.eachRule(func(r *pathRule) {
				if r.isDefault == def {
					tab.Hosts[convertHost(r.host)] = append(tab.Hosts[convertHost(r.host)], convert.HostPath{Ingress: p.ing, Default: def})
				}
			})
		}
	}
	for h, ph := range cb.passthrough {
		tab.Passthrough[h] = ph.owner.ing
	}
	names, notes := convert.DecideHostNames(tab)
	cb.names = names
	reportNameNotes(byIng, notes, nil)
	unknown := map[string]string{} // name -> Secret not in the input
	covers := func(secret, name string) bool {
		ok, known := b.certificateCovers(cb, secret, name)
		if !known {
			unknown[name] = secret
		}
		return ok
	}
	secretOf := func(host string) string {
		if t := cb.tls[host]; t != nil {
			return t.source
		}
		return ""
	}
	cb.nameTLS, notes = names.NamesOverTLS(secretOf, func(name string) bool { return cb.tls[name] != nil }, covers)
	reportNameNotes(byIng, notes, unknown)
	b.reportUnknownCoverage(cb, byIng, unknown)
	cb.extraNames = extraNames(cb)
}

// certificateCovers says whether the certificate of secret ("namespace/name", as an Ingress names it)
// is valid for name: read from the Secret when the input holds it; for a certificate cert-manager
// issues, from the hosts of the Ingress's spec.tls entries naming the Secret (the names it issues for).
// known is false when neither tells.
func (b *gwBuilder) certificateCovers(cb *classBuild, secret, name string) (ok, known bool) {
	if b.secretKeys[secret] {
		return b.verdicts.Covers(secret, name), true
	}
	for _, t := range cb.tls {
		if t.source != secret || t.certManager == "" {
			continue
		}
		for _, tls := range t.owner.ing.Spec.TLS {
			if t.owner.ing.Namespace+"/"+tls.SecretName == secret && slices.ContainsFunc(tls.Hosts, func(h string) bool { return hostCovers(h, name) }) {
				return true, true
			}
		}
		return false, true
	}
	return false, false
}

// hostCovers says whether a certificate name (a DNS name or a wildcard of one label) is valid for name.
func hostCovers(certName, name string) bool {
	if strings.EqualFold(certName, name) {
		return true
	}
	rest, ok := strings.CutPrefix(certName, "*.")
	_, after, found := strings.Cut(name, ".")
	return ok && found && !strings.HasPrefix(name, "*.") && strings.EqualFold(after, rest)
}

// reportNameNotes turns the notes of the controller's decisions into items of the Ingresses they are
// about: they are what ingress-nginx and gatebridge do alike. Notes about a name in skip are left out.
func reportNameNotes(byIng map[*networkingv1.Ingress]*ingressPlan, notes []convert.Note, skip map[string]string) {
	for _, n := range notes {
		if mentionsAny(n.Message, skip) {
			continue
		}
		for ing, p := range byIng {
			if ingressRef(ing) != n.Object || p.settings.Routing.Canary.Enabled {
				continue
			}
			key, msg, ok := strings.Cut(strings.TrimPrefix(n.Message, "annotation "), ": ")
			if !ok {
				key, msg = "spec.rules.host", n.Message
			}
			p.item(key, Exact, "", "%s, as under ingress-nginx", msg)
		}
	}
}

// mentionsAny says whether message quotes one of the names of skip.
func mentionsAny(message string, skip map[string]string) bool {
	for name := range skip {
		if strings.Contains(message, fmt.Sprintf("%q", name)) {
			return true
		}
	}
	return false
}

// reportUnknownCoverage reports the names whose host's certificate migrate cannot read.
func (b *gwBuilder) reportUnknownCoverage(cb *classBuild, byIng map[*networkingv1.Ingress]*ingressPlan, unknown map[string]string) {
	report := func(ing *networkingv1.Ingress, key, name string) {
		if secret, ok := unknown[name]; ok {
			byIng[ing].item(np+key, Approximated, name, "Secret %s is not in the input: migrate cannot tell whether its certificate covers %q, so the Gateway serves %q over plain HTTP only "+
				"(gatebridge and ingress-nginx serve it over HTTPS too when the certificate covers it: then add an HTTPS listener for it with that certificate)", secret, name, name)
		}
	}
	for _, host := range slices.Sorted(maps.Keys(cb.names.Aliases)) {
		for _, a := range cb.names.Aliases[host] {
			report(cb.names.Owners[host], "server-alias", a)
		}
	}
	for _, from := range slices.Sorted(maps.Keys(cb.names.Redirects)) {
		r := cb.names.Redirects[from]
		for _, ing := range r.Ingresses {
			report(ing, "from-to-www-redirect", from)
		}
	}
}

// extraNames are, by host, the aliases and www redirect names that need listeners of their own (those
// that are not hosts of the class already), sorted.
func extraNames(cb *classBuild) map[string][]string {
	own := map[string]bool{}
	for _, h := range classHosts(cb) {
		own[h] = true
	}
	out := map[string][]string{}
	add := func(host, name string) {
		if !own[name] {
			out[host] = append(out[host], name)
		}
	}
	for host, aliases := range cb.names.Aliases {
		for _, a := range aliases {
			add(migrateHost(host), a)
		}
	}
	for from, r := range cb.names.Redirects {
		add(r.To, from)
	}
	for _, names := range out {
		slices.Sort(names)
	}
	return out
}

// aliases are the aliases of a host of the class (migrate's form).
func (cb *classBuild) aliases(host string) []string {
	return cb.names.Aliases[convertHost(host)]
}

// hostnames are the hostnames of the routes of a host: the host and its aliases.
func (cb *classBuild) hostnames(host string) []gwapiv1.Hostname {
	if host == "" {
		return nil
	}
	out := []gwapiv1.Hostname{gwapiv1.Hostname(host)}
	for _, a := range cb.aliases(host) {
		out = append(out, gwapiv1.Hostname(a))
	}
	return out
}

// parents are the listeners the routes of a host attach to, over HTTP or HTTPS: the host's and those of
// its aliases that have one.
func (cb *classBuild) parents(host string, https bool) []gwapiv1.ParentReference {
	var out []gwapiv1.ParentReference
	for _, h := range append([]string{host}, cb.aliases(host)...) {
		hl, ok := cb.listeners[h]
		switch {
		case !ok:
		case !https:
			out = append(out, parentRef(hl, hl.http))
		case hl.https != "":
			out = append(out, parentRef(hl, hl.https))
		}
	}
	return out
}

// reportHostNames reports what becomes of the server-alias and from-to-www-redirect of an Ingress.
func (b *gwBuilder) reportHostNames(cb *classBuild, p *ingressPlan) {
	if p.settings.Routing.Canary.Enabled {
		return // reported as ignored, with the canary's other keys
	}
	for _, host := range slices.Sorted(maps.Keys(cb.names.Owners)) {
		if cb.names.Owners[host] != p.ing {
			continue
		}
		var tls []string
		for _, a := range cb.aliases(migrateHost(host)) {
			if cb.listeners[a].https != "" {
				tls = append(tls, a)
			}
		}
		p.item(np+"server-alias", Exact, host, "aliases %s: hostnames of the host's routes (of every Ingress), with HTTP listeners of their own%s, as gatebridge serves them",
			strings.Join(cb.aliases(host), ", "), httpsNames(tls))
	}
	for _, key := range hostNameKeys {
		if _, asked := p.ing.Annotations[np+key]; !asked || slices.ContainsFunc(p.report.Items, func(it Item) bool { return it.Subject == np+key }) {
			continue
		}
		if i := slices.IndexFunc(p.findings, func(f annotations.Finding) bool { return f.Key == np+key && f.Kind == annotations.Invalid }); i >= 0 {
			p.item(np+key, Lost, "", "%s", p.findings[i].Message)
			continue
		}
		p.item(np+key, Exact, "", "no effect as gatebridge serves the Ingress (no name to add, or a canary or ssl-passthrough Ingress): nothing to carry over")
	}
}

func httpsNames(names []string) string {
	if len(names) == 0 {
		return " (no HTTPS: no certificate of the host covers them)"
	}
	return " and HTTPS listeners with the host's certificate for " + strings.Join(names, ", ")
}

// buildWWWRedirects makes an HTTPRoute per www redirect, in the namespace of the oldest Ingress asking
// for it: every request for the name gets 308 to its host, keeping scheme, port, path and query (a
// RequestRedirect with a hostname only).
func (b *gwBuilder) buildWWWRedirects(cb *classBuild) {
	byIng := map[*networkingv1.Ingress]*ingressPlan{}
	for _, p := range cb.plans {
		byIng[p.ing] = p
	}
	approx := "keeps the path as it is and the port the request came to"
	for _, from := range slices.Sorted(maps.Keys(cb.names.Redirects)) {
		r := cb.names.Redirects[from]
		p := byIng[r.Ingresses[0]]
		name := p.ing.Name + "-" + hostSlug(from)
		rule := gwapiv1.HTTPRouteRule{Filters: []gwapiv1.HTTPRouteFilter{{Type: gwapiv1.HTTPRouteFilterRequestRedirect,
			RequestRedirect: &gwapiv1.HTTPRequestRedirectFilter{Hostname: new(gwapiv1.PreciseHostname(r.To)), StatusCode: new(308)}}}}
		parents := append(cb.parents(from, false), cb.parents(from, true)...)
		b.addHTTPRoutes(p, from, []gwapiv1.Hostname{gwapiv1.Hostname(from)}, name, parents, []gwapiv1.HTTPRouteRule{rule})
		for _, ing := range r.Ingresses {
			q := byIng[ing]
			if i := slices.IndexFunc(q.findings, func(f annotations.Finding) bool { return f.Key == np+"from-to-www-redirect" }); i >= 0 {
				approx = q.findings[i].Message
			}
			over := "HTTP"
			if cb.listeners[from].https != "" {
				over = "HTTP and HTTPS"
			}
			q.item(np+"from-to-www-redirect", Approximated, from, "%s gets 308 to %s over %s (HTTPRoute %s/%s, a RequestRedirect with the hostname only: scheme, port, path and query are kept), as gatebridge serves it; %s",
				from, r.To, over, p.ing.Namespace, name, approx)
		}
	}
}
