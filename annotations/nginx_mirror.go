package annotations

import (
	"net/url"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

var nginxMirrorKeys = []string{"mirror-target", "mirror-uri", "mirror-request-body", "mirror-host"}

// requestURIVariable ends a mirror-target that keeps the request's path and query.
const requestURIVariable = "$request_uri"

// NginxMirror sends a copy of every request of the Ingress to an HTTP service (mirror-target), whose
// answers are ignored.
type NginxMirror struct {
	// Host and Port are the host and port of the mirror-target URL: convert resolves them to a Service
	// of the cluster.
	Host string
	Port uint32
	// Authority is the Host header of the copies: mirror-host, or the target's host.
	Authority string
}

// mirror reads mirror-target (with mirror-host and mirror-request-body); nil when unset or unusable.
func (p *nginxParser) mirror() *NginxMirror {
	if p.has("mirror-uri") {
		p.invalid("mirror-uri", "ingress-nginx no longer reads it (it named an nginx location); use mirror-target")
	}
	v, ok := p.value("mirror-target")
	if !ok || v == "" {
		p.unused("needs mirror-target", "mirror-host", "mirror-request-body")
		return nil
	}
	m := p.mirrorTarget(v)
	if m == nil {
		p.unused("needs a usable mirror-target", "mirror-host", "mirror-request-body")
		return nil
	}
	if h, ok := p.value("mirror-host"); ok {
		if len(validation.IsDNS1123Subdomain(strings.ToLower(h))) > 0 {
			p.invalid("mirror-host", "%q is not a host name", h)
		} else {
			m.Authority = h
		}
	}
	if !p.onOffDefault("mirror-request-body", true) {
		p.approximated("mirror-request-body", "Envoy mirrors every request with its body")
	}
	return m
}

// mirrorTarget reads the URL of mirror-target: http, a host, and either the variable $request_uri
// right after the host and port (the copy keeps the request's path and query) or a path, which
// Envoy cannot give the copies.
func (p *nginxParser) mirrorTarget(v string) *NginxMirror {
	raw, keepsURI := strings.CutSuffix(v, requestURIVariable)
	u, err := url.Parse(raw)
	switch {
	case strings.Contains(raw, "$"):
		p.invalid("mirror-target", "%q holds nginx variables other than a final %s, which gatebridge does not expand", v, requestURIVariable)
		return nil
	case err != nil || u.Host == "" || u.User != nil || u.Fragment != "":
		p.invalid("mirror-target", "%q is not an absolute http URL", v)
		return nil
	case u.Scheme != "http":
		p.invalid("mirror-target", "scheme %q is not supported (only http, to a Service of the cluster)", u.Scheme)
		return nil
	}
	m := &NginxMirror{Host: strings.ToLower(u.Hostname()), Port: 80, Authority: u.Hostname()}
	if u.Port() != "" {
		port, err := strconv.ParseUint(u.Port(), 10, 16)
		if err != nil || port == 0 {
			p.invalid("mirror-target", "%q has an invalid port", v)
			return nil
		}
		m.Port = uint32(port)
	}
	if !keepsURI || u.RequestURI() != "/" || strings.HasSuffix(raw, "/") {
		p.approximated("mirror-target", "the copies keep the request's path and query: Envoy cannot send them to the path of %q", v)
	}
	return m
}

// onOffDefault reads an on/off key; an unset or unusable value gives def.
func (p *nginxParser) onOffDefault(name string, def bool) bool {
	v, ok := p.value(name)
	switch {
	case !ok:
		return def
	case strings.EqualFold(v, "on"):
		return true
	case strings.EqualFold(v, "off"):
		return false
	}
	p.invalid(name, "%q is not on or off", v)
	return def
}
