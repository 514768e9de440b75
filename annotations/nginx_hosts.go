package annotations

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

var nginxHostKeys = []string{"ssl-passthrough", "default-backend", "server-alias", "from-to-www-redirect"}

// NginxHosts are settings that apply to the hosts of an Ingress rather than to its paths.
type NginxHosts struct {
	// SSLPassthrough serves the hosts as TLS passthrough to the backend of their path "/".
	SSLPassthrough bool
	// DefaultBackend is a Service of the Ingress's namespace that takes the requests to its hosts that
	// match no path.
	DefaultBackend string
	// Aliases (server-alias) are more names of each host of the Ingress, sorted: their requests are
	// served as the host's own. A wildcard alias ("*.example.com") takes any number of labels, as
	// nginx's server_name does.
	Aliases []string
	// FromToWWW (from-to-www-redirect) redirects www.<host> to each host of the Ingress, or <host>
	// without its "www." to a host that has one.
	FromToWWW bool
}

func (p *nginxParser) hosts() NginxHosts {
	h := NginxHosts{SSLPassthrough: p.bool("ssl-passthrough", false), Aliases: p.aliases()}
	if v, ok := p.value("default-backend"); ok {
		if !isServiceName(v) {
			p.invalid("default-backend", "%q is not a Service name of the Ingress's namespace", v)
		} else {
			h.DefaultBackend = v
		}
	}
	if h.FromToWWW = p.bool("from-to-www-redirect", false); h.FromToWWW {
		p.approximated("from-to-www-redirect", "the redirect keeps the path as it is and the port the request came to (nginx drops one trailing slash, and names its HTTPS port when it is not 443)")
	}
	return h
}

// aliases reads server-alias: host names separated by commas, each a DNS name or a wildcard
// ("*.example.com"). A name that is neither (nginx also takes regular expressions) is left out.
func (p *nginxParser) aliases() []string {
	v, ok := p.value("server-alias")
	if !ok {
		return nil
	}
	var out, bad []string
	for _, a := range strings.Split(v, ",") {
		a = strings.ToLower(strings.TrimSpace(a))
		switch {
		case a == "":
		case validAlias(a):
			out = append(out, a)
		default:
			bad = append(bad, a)
		}
	}
	if len(bad) > 0 {
		p.findings = append(p.findings, Finding{Key: NginxPrefix + "server-alias", Kind: Invalid,
			Message: strings.Join(bad, ", ") + ": not a DNS name nor a wildcard (*.example.com); left out, the other aliases are served"})
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func validAlias(a string) bool {
	name, _ := strings.CutPrefix(a, "*.")
	return len(validation.IsDNS1123Subdomain(name)) == 0
}

// isServiceName reports whether a value can name a Service.
func isServiceName(v string) bool { return len(validation.IsDNS1035Label(v)) == 0 }
