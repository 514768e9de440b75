package migrate

import (
	"fmt"
	"regexp"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/annotations"
)

const np = annotations.NginxPrefix

// sslRedirect says whether HTTP requests for a host with TLS are redirected to HTTPS for the paths of p
// (ingress-nginx's ssl-redirect, true by default, and force-ssl-redirect).
func (b *gwBuilder) sslRedirect(p *ingressPlan) bool {
	r := p.settings.Routing.Redirect
	return !r.NoSSLRedirect || r.ForceSSLRedirect
}

// useRegex says whether ingress-nginx matches the paths of p as regular expressions.
func (b *gwBuilder) useRegex(p *ingressPlan) bool {
	return p.settings.Routing.Rewrite.UseRegex
}

// mapAnnotations carries the annotations of an Ingress over to its rules, and reports each.
func (b *gwBuilder) mapAnnotations(p *ingressPlan) {
	mapped := map[string]bool{}
	done := func(outcome Outcome, format string, args []any, keys ...string) {
		for _, k := range keys {
			if _, ok := p.ing.Annotations[np+k]; ok {
				mapped[k] = true
				p.item(np+k, outcome, "", format, args...)
			}
		}
	}
	b.mapRedirects(p, done)
	b.mapRewrite(p, done)
	b.mapCORS(p, done)
	b.mapBackend(p, done)
	b.mapRetries(p, done)
	b.mapHosts(p, done)
	b.mapMirror(p, done)
	b.mapPolicy(p, done)
	for _, k := range hostNameKeys {
		mapped[k] = true // reported once the names of the class are decided
	}
	reportUnmappedKeys(p, mapped)
}

// reporter reports keys (without prefix) with one outcome and message.
type reporter func(outcome Outcome, format string, args []any, keys ...string)

// eachRule applies f to every path rule of p.
func (p *ingressPlan) eachRule(f func(r *pathRule)) {
	for _, h := range p.hosts {
		for _, r := range p.paths[h] {
			f(r)
		}
	}
}

func (b *gwBuilder) mapRedirects(p *ingressPlan, done reporter) {
	r := p.settings.Routing.Redirect
	done(Exact, "%s", []any{"HTTP requests for hosts with TLS are redirected to HTTPS (308) unless it is \"false\": HTTPRoutes named *-redirect on the HTTP listeners"}, "ssl-redirect")
	if r.ForceSSLRedirect {
		done(Approximated, "%s", []any{"redirects to HTTPS for hosts with TLS; for hosts without TLS on the Gateway (TLS ended by a load balancer in front) ingress-nginx redirected by X-Forwarded-Proto, which is not carried over"}, "force-ssl-redirect")
	}
	if u := r.URL; u != nil {
		f := gwapiv1.HTTPRequestRedirectFilter{StatusCode: new(int(u.Code))}
		if u.Scheme != "" {
			f.Scheme = new(u.Scheme)
		}
		if u.Host != "" {
			f.Hostname = new(gwapiv1.PreciseHostname(u.Host))
		}
		if u.Port != 0 {
			f.Port = new(gwapiv1.PortNumber(u.Port))
		}
		outcome, msg := Exact, "every path answers %d with Location %s (RequestRedirect filter)"
		path, query, hasQuery := strings.Cut(u.Path, "?")
		if hasQuery && query != "" {
			outcome, msg = Approximated, "every path answers %d with Location %s without its query (RequestRedirect cannot set one)"
		}
		f.Path = &gwapiv1.HTTPPathModifier{Type: gwapiv1.FullPathHTTPPathModifier, ReplaceFullPath: &path}
		p.eachRule(func(pr *pathRule) {
			pr.rule.BackendRefs = nil
			pr.rule.Filters = []gwapiv1.HTTPRouteFilter{{Type: gwapiv1.HTTPRouteFilterRequestRedirect, RequestRedirect: &f}}
		})
		done(outcome, msg, []any{u.Code, redirectURL(u)}, "permanent-redirect", "permanent-redirect-code", "temporal-redirect", "temporal-redirect-code")
	}
	if root := p.settings.Routing.Rewrite.AppRoot; root != "" {
		for _, h := range p.hosts {
			p.paths[h] = append(p.paths[h], &pathRule{subject: np + "app-root", host: h, key: "exact /", rule: gwapiv1.HTTPRouteRule{
				Matches: []gwapiv1.HTTPRouteMatch{{Path: new(pathOf(gwapiv1.PathMatchExact, "/"))}},
				Filters: []gwapiv1.HTTPRouteFilter{{Type: gwapiv1.HTTPRouteFilterRequestRedirect, RequestRedirect: &gwapiv1.HTTPRequestRedirectFilter{
					StatusCode: new(302), Path: &gwapiv1.HTTPPathModifier{Type: gwapiv1.FullPathHTTPPathModifier, ReplaceFullPath: new(root)},
				}}},
			}})
		}
		done(Exact, "a request for exactly / is redirected (302) to %s: a rule with an Exact / match and a RequestRedirect filter", []any{root}, "app-root")
	}
}

func redirectURL(u *annotations.NginxURLRedirect) string {
	s := u.Path
	if u.Host != "" {
		host := u.Host
		if u.Port != 0 {
			host = fmt.Sprintf("%s:%d", host, u.Port)
		}
		s = u.Scheme + "://" + host + s
	}
	return s
}

// prefixCapture recognises the usual capture-group rewrite: a literal prefix P, then (/|$)(.*) or /(.*),
// rewritten to / followed by the last group: that is a PathPrefix P with ReplacePrefixMatch "/".
var prefixCapture = regexp.MustCompile(`^(/[A-Za-z0-9._~/-]*?)(\(/\|\$\)\(\.\*\)|/\(\.\*\))$`)

func (b *gwBuilder) mapRewrite(p *ingressPlan, done reporter) {
	rw := p.settings.Routing.Rewrite
	if rw.Target != "" {
		b.mapRewriteTarget(p, rw.Target)
		done(Exact, "%s", []any{"see the path items"}, "rewrite-target")
	}
	if rw.UseRegex {
		done(Approximated, "%s", []any{"paths are matched as case-insensitive regular expressions (RegularExpression, RE2, anchored at the start) on this Ingress's rules; ingress-nginx also applied it to the other Ingresses of the same host"}, "use-regex")
	}
	if rw.UpstreamVhost != "" {
		p.eachRule(func(r *pathRule) {
			rewriteFilter(&r.rule).Hostname = new(gwapiv1.PreciseHostname(rw.UpstreamVhost))
		})
		done(Exact, "the Host header sent upstream is %s (URLRewrite hostname)", []any{rw.UpstreamVhost}, "upstream-vhost")
	}
	if rw.XForwardedPrefix != "" {
		p.eachRule(func(r *pathRule) {
			r.rule.Filters = append(r.rule.Filters, gwapiv1.HTTPRouteFilter{Type: gwapiv1.HTTPRouteFilterRequestHeaderModifier,
				RequestHeaderModifier: &gwapiv1.HTTPHeaderFilter{Set: []gwapiv1.HTTPHeader{{Name: "X-Forwarded-Prefix", Value: rw.XForwardedPrefix}}}})
		})
		done(Exact, "X-Forwarded-Prefix: %s is set upstream (RequestHeaderModifier)", []any{rw.XForwardedPrefix}, "x-forwarded-prefix")
	}
}

// mapRewriteTarget carries rewrite-target to each path: a fixed target is ReplaceFullPath; the usual
// prefix-stripping capture groups are a PathPrefix with ReplacePrefixMatch; other capture groups are lost.
func (b *gwBuilder) mapRewriteTarget(p *ingressPlan, target string) {
	p.eachRule(func(r *pathRule) {
		if r.isDefault || hasRedirect(r.rule) {
			return
		}
		if !strings.Contains(target, `\`) {
			rewriteFilter(&r.rule).Path = &gwapiv1.HTTPPathModifier{Type: gwapiv1.FullPathHTTPPathModifier, ReplaceFullPath: new(target)}
			p.item(r.subject, Exact, r.host, "rewritten to %s (URLRewrite ReplaceFullPath), as nginx replaces the whole path", target)
			return
		}
		src := strings.TrimPrefix(strings.TrimSuffix(*r.rule.Matches[0].Path.Value, ".*"), "(?i)")
		m := prefixCapture.FindStringSubmatch(src)
		groups := strings.Count(src, "(")
		if m == nil || target != fmt.Sprintf(`/\%d`, groups) {
			p.item(r.subject, Lost, r.host, "rewrite of %s to %s uses capture groups Gateway API cannot express (no regex rewrite): backends see the original path",
				src, strings.ReplaceAll(target, `\`, "$"))
			return
		}
		prefix := strings.TrimSuffix(m[1], "/")
		r.rule.Matches[0].Path = new(pathOf(gwapiv1.PathMatchPathPrefix, "/"+strings.TrimPrefix(prefix, "/")))
		rewriteFilter(&r.rule).Path = &gwapiv1.HTTPPathModifier{Type: gwapiv1.PrefixMatchHTTPPathModifier, ReplacePrefixMatch: new("/")}
		outcome, how := Approximated, "matched case-sensitively"
		if strings.HasPrefix(m[2], "/(") {
			how += fmt.Sprintf(", and %s itself matches too", prefix)
		}
		p.item(r.subject, outcome, r.host, "%s rewritten to %s is PathPrefix %s with ReplacePrefixMatch / (URLRewrite); %s, where ingress-nginx ignored case",
			src, strings.ReplaceAll(target, `\`, "$"), prefix, how)
	})
}

func hasRedirect(r gwapiv1.HTTPRouteRule) bool {
	for _, f := range r.Filters {
		if f.RequestRedirect != nil {
			return true
		}
	}
	return false
}

// rewriteFilter returns the URLRewrite filter of a rule, adding one.
func rewriteFilter(r *gwapiv1.HTTPRouteRule) *gwapiv1.HTTPURLRewriteFilter {
	for i := range r.Filters {
		if r.Filters[i].URLRewrite != nil {
			return r.Filters[i].URLRewrite
		}
	}
	r.Filters = append(r.Filters, gwapiv1.HTTPRouteFilter{Type: gwapiv1.HTTPRouteFilterURLRewrite, URLRewrite: &gwapiv1.HTTPURLRewriteFilter{}})
	return r.Filters[len(r.Filters)-1].URLRewrite
}

func (b *gwBuilder) mapHosts(p *ingressPlan, done reporter) {
	h := p.settings.Routing.Hosts
	switch {
	case h.SSLPassthrough:
		done(Exact, "%s", []any{"TLS listeners in Passthrough mode and TLSRoutes to the backend of each host's path / (see the rule items); the HTTP paths are not served, as under ingress-nginx"}, "ssl-passthrough")
		done(Exact, "%s", []any{"not served for an ssl-passthrough Ingress, as gatebridge serves it"}, "default-backend")
	case h.DefaultBackend == "":
	case p.annotationDefault != nil:
		done(Exact, "requests to this Ingress's hosts that no path takes go to %s:%d (a last PathPrefix / rule per host, unless an older Ingress's default-backend has the host), as gatebridge serves it",
			[]any{h.DefaultBackend, *p.annotationDefault[0].Port}, "default-backend")
	default:
		done(Lost, "Service %s (or a port of it) is not in the input: Gateway API needs a port number; add a last PathPrefix / rule to it by hand", []any{h.DefaultBackend}, "default-backend")
	}
}
