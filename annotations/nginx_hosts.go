package annotations

import (
	"k8s.io/apimachinery/pkg/util/validation"
)

var nginxHostKeys = []string{"ssl-passthrough", "default-backend"}

// NginxHosts are settings that apply to the hosts of an Ingress rather than to its paths.
type NginxHosts struct {
	// SSLPassthrough serves the hosts as TLS passthrough to the backend of their path "/".
	SSLPassthrough bool
	// DefaultBackend is a Service of the Ingress's namespace that takes the requests to its hosts that
	// match no path.
	DefaultBackend string
}

func (p *nginxParser) hosts() NginxHosts {
	h := NginxHosts{SSLPassthrough: p.bool("ssl-passthrough", false)}
	if v, ok := p.value("default-backend"); ok {
		if errs := validation.IsDNS1035Label(v); len(errs) > 0 {
			p.invalid("default-backend", "%q is not a Service name of the Ingress's namespace", v)
		} else {
			h.DefaultBackend = v
		}
	}
	return h
}
