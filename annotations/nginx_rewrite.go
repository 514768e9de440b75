package annotations

import (
	"fmt"
	"strings"
)

var nginxRewriteKeys = []string{"use-regex", "rewrite-target", "app-root", "upstream-vhost", "x-forwarded-prefix"}

// NginxRewrite is how ingress-nginx matches the paths of an Ingress and rewrites what it sends upstream.
type NginxRewrite struct {
	// UseRegex makes the paths of every Ingress of the same host case-insensitive RE2 regexes matched
	// as prefixes (use-regex, or implied by rewrite-target).
	UseRegex bool
	// Target is rewrite-target as an RE2 substitution (capture groups as \1): the whole path is
	// replaced by it, as nginx's rewrite directive does.
	Target string
	// AppRoot is where a request for exactly "/" is redirected (302).
	AppRoot string
	// UpstreamVhost replaces the Host header sent upstream.
	UpstreamVhost string
	// XForwardedPrefix is the value of the X-Forwarded-Prefix header sent upstream.
	XForwardedPrefix string
}

func (p *nginxParser) rewrite() NginxRewrite {
	var r NginxRewrite
	r.UseRegex = p.bool("use-regex", false)
	if v, ok := p.value("rewrite-target"); ok && v != "" {
		if target, err := regexSubstitution(v); err != nil {
			p.invalid("rewrite-target", "%v", err)
		} else {
			r.Target, r.UseRegex = target, true
		}
	}
	if v, ok := p.value("app-root"); ok {
		if !strings.HasPrefix(v, "/") || strings.ContainsAny(v, " \t\"'") {
			p.invalid("app-root", "%q is not an absolute path", v)
		} else {
			r.AppRoot = v
		}
	}
	if v, ok := p.value("upstream-vhost"); ok {
		if v == "" || strings.ContainsAny(v, " \t/\"'$") {
			p.invalid("upstream-vhost", "%q is not a host name", v)
		} else {
			r.UpstreamVhost = v
		}
	}
	if v, ok := p.value("x-forwarded-prefix"); ok {
		if v == "" || strings.ContainsAny(v, "\r\n$") {
			p.invalid("x-forwarded-prefix", "%q cannot be a header value", v)
		} else {
			r.XForwardedPrefix = v
		}
	}
	return r
}

// regexSubstitution turns an nginx rewrite replacement into an RE2 substitution: $1 or ${1} becomes
// \1, a literal backslash is escaped. Other nginx variables ($host, $request_uri...) cannot be expressed.
func regexSubstitution(v string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c != '$':
			b.WriteByte(c)
		case i+1 < len(v) && isDigit(v[i+1]):
			b.WriteByte('\\')
			b.WriteByte(v[i+1])
			i++
		case i+3 < len(v) && v[i+1] == '{' && isDigit(v[i+2]) && v[i+3] == '}':
			b.WriteByte('\\')
			b.WriteByte(v[i+2])
			i += 3
		default:
			return "", fmt.Errorf("%q uses an nginx variable; only capture groups ($1 to $9) can be used", v)
		}
	}
	return b.String(), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
