package annotations

import (
	"net/url"
	"strconv"
)

var nginxRedirectKeys = []string{"ssl-redirect", "force-ssl-redirect", "permanent-redirect", "permanent-redirect-code",
	"temporal-redirect", "temporal-redirect-code"}

// NginxRedirect holds the redirects of an Ingress.
type NginxRedirect struct {
	// NoSSLRedirect is ssl-redirect "false": plain HTTP is served even on hosts that have TLS.
	NoSSLRedirect bool
	// ForceSSLRedirect redirects plain HTTP to HTTPS even when the host has no TLS.
	ForceSSLRedirect bool
	// URL, when set, is where every path of the Ingress redirects (temporal-redirect or
	// permanent-redirect).
	URL *NginxURLRedirect
}

// NginxURLRedirect is a redirect to a fixed URL. Scheme and Host are empty for a path-only URL.
type NginxURLRedirect struct {
	Scheme string
	Host   string
	Port   uint32
	// Path is the path and query of the URL ("/" when the URL has none).
	Path string
	Code uint32
}

// redirectCodes are the codes Envoy can answer a redirect with.
var redirectCodes = map[int]bool{301: true, 302: true, 303: true, 307: true, 308: true}

func (p *nginxParser) redirect() NginxRedirect {
	r := NginxRedirect{
		NoSSLRedirect:    !p.bool("ssl-redirect", true),
		ForceSSLRedirect: p.bool("force-ssl-redirect", false),
	}
	// As ingress-nginx: a temporal redirect takes precedence over a permanent one.
	temporal := p.urlRedirect("temporal-redirect", 302)
	permanent := p.urlRedirect("permanent-redirect", 301)
	switch {
	case temporal != nil:
		r.URL = temporal
		if permanent != nil {
			p.invalid("permanent-redirect", "temporal-redirect takes precedence")
		}
	case permanent != nil:
		r.URL = permanent
	}
	return r
}

// urlRedirect reads a redirect key and its -code companion.
func (p *nginxParser) urlRedirect(name string, def uint32) *NginxURLRedirect {
	v, ok := p.value(name)
	if !ok || v == "" {
		p.unused("needs "+name, name+"-code")
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Host == "" && (u.Scheme != "" || len(u.Path) == 0 || u.Path[0] != '/')) ||
		(u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") {
		p.invalid(name, "%q is not an http or https URL nor an absolute path", v)
		return nil
	}
	out := &NginxURLRedirect{Scheme: u.Scheme, Host: u.Hostname(), Path: u.EscapedPath(), Code: def}
	if u.Port() != "" {
		port, err := strconv.ParseUint(u.Port(), 10, 16)
		if err != nil || port == 0 {
			p.invalid(name, "%q has an invalid port", v)
			return nil
		}
		out.Port = uint32(port)
	}
	if out.Path == "" {
		out.Path = "/"
	}
	if u.RawQuery != "" {
		out.Path += "?" + u.RawQuery
	}
	if code := p.int(name+"-code", 0, int(def)); redirectCodes[code] {
		out.Code = uint32(code)
	} else {
		p.invalid(name+"-code", "%d is not a redirect code Envoy answers (301, 302, 303, 307, 308)", code)
	}
	return out
}
