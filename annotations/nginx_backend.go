package annotations

import (
	"strings"
)

var nginxBackendKeys = []string{"backend-protocol", "proxy-ssl-secret", "proxy-ssl-verify", "proxy-ssl-name", "proxy-ssl-server-name"}

// Backend protocols of ingress-nginx that gatebridge serves.
const (
	BackendHTTP  = "HTTP"
	BackendHTTPS = "HTTPS"
	BackendGRPC  = "GRPC"
	BackendGRPCS = "GRPCS"
	BackendH2C   = "H2C"
)

// NginxBackend is how the backends of an Ingress are spoken to.
type NginxBackend struct {
	// Protocol is one of the Backend* constants; empty means HTTP.
	Protocol string
	// ProxySSL tunes TLS to the backends (HTTPS and GRPCS only).
	ProxySSL NginxProxySSL
}

// TLS reports whether the protocol runs over TLS.
func (b NginxBackend) TLS() bool { return b.Protocol == BackendHTTPS || b.Protocol == BackendGRPCS }

// HTTP2 reports whether the protocol is HTTP/2.
func (b NginxBackend) HTTP2() bool {
	return b.Protocol == BackendGRPC || b.Protocol == BackendGRPCS || b.Protocol == BackendH2C
}

// NginxProxySSL is TLS origination towards the backends.
type NginxProxySSL struct {
	// SecretNamespace and SecretName name the Secret of ca.crt (and tls.crt, tls.key for a client
	// certificate); the namespace is checked against the Ingress's by the caller.
	SecretNamespace, SecretName string
	// Verify checks the backend's certificate against ca.crt.
	Verify bool
	// Name is the name verified in the backend's certificate, and sent as SNI when ServerName is set.
	Name string
	// ServerName sends SNI.
	ServerName bool
}

func (p *nginxParser) backend() NginxBackend {
	var b NginxBackend
	if v, ok := p.value("backend-protocol"); ok {
		switch up := strings.ToUpper(v); up {
		case BackendHTTP:
		case BackendHTTPS, BackendGRPC, BackendGRPCS, BackendH2C:
			b.Protocol = up
		default:
			p.invalid("backend-protocol", "%q is not served (HTTP, HTTPS, GRPC, GRPCS and H2C are)", v)
		}
	}
	if !b.TLS() {
		p.unused("needs backend-protocol HTTPS or GRPCS",
			"proxy-ssl-secret", "proxy-ssl-verify", "proxy-ssl-name", "proxy-ssl-server-name")
		return b
	}
	if v, ok := p.value("proxy-ssl-secret"); ok {
		ns, name, found := strings.Cut(v, "/")
		if !found || ns == "" || name == "" || strings.Contains(name, "/") {
			p.invalid("proxy-ssl-secret", "%q is not namespace/name", v)
		} else {
			b.ProxySSL.SecretNamespace, b.ProxySSL.SecretName = ns, name
		}
	}
	b.ProxySSL.Verify = p.onOff("proxy-ssl-verify")
	b.ProxySSL.Name, _ = p.value("proxy-ssl-name")
	b.ProxySSL.ServerName = p.onOff("proxy-ssl-server-name")
	return b
}
