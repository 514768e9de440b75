package annotations

import (
	"strings"
	"time"
)

var nginxAffinityKeys = []string{"affinity", "affinity-mode", "session-cookie-name", "session-cookie-path", "session-cookie-max-age",
	"session-cookie-expires", "session-cookie-secure", "session-cookie-samesite", "session-cookie-domain"}

// NginxAffinity keeps a client on one backend endpoint with a cookie: a consistent hash of the cookie,
// which Envoy sets when the request has none.
type NginxAffinity struct {
	CookieName string
	// CookiePath is empty when not set: the caller picks the path.
	CookiePath string
	// TTL is the cookie's lifetime; 0 is a session cookie.
	TTL time.Duration
	// Secure, SameSite and Domain are attributes of the cookie.
	Secure   bool
	SameSite string
	Domain   string
}

func (p *nginxParser) affinity() *NginxAffinity {
	v, ok := p.value("affinity")
	switch {
	case ok && v == "cookie":
	case ok:
		p.invalid("affinity", "%q is not served (only cookie is)", v)
		fallthrough
	default:
		p.unused("needs affinity: cookie", nginxAffinityKeys[1:]...)
		return nil
	}
	a := &NginxAffinity{CookieName: "INGRESSCOOKIE", Secure: p.bool("session-cookie-secure", false)}
	if name, _ := p.value("session-cookie-name"); name != "" {
		if strings.ContainsAny(name, " \t;=,\"") {
			p.invalid("session-cookie-name", "%q is not a cookie name", name)
		} else {
			a.CookieName = name
		}
	}
	a.CookiePath, _ = p.value("session-cookie-path")
	// Browsers prefer Max-Age to Expires: so does the single lifetime Envoy gives the cookie.
	if secs := p.int("session-cookie-max-age", 0, -1); secs >= 0 {
		a.TTL = time.Duration(secs) * time.Second
		p.unused("session-cookie-max-age takes precedence", "session-cookie-expires")
	} else if secs := p.int("session-cookie-expires", 0, -1); secs >= 0 {
		a.TTL = time.Duration(secs) * time.Second
		p.approximated("session-cookie-expires", "the cookie gets Max-Age=%d instead of an Expires date", secs)
	}
	if s, _ := p.value("session-cookie-samesite"); s != "" {
		switch strings.ToLower(s) {
		case "none", "lax", "strict":
			a.SameSite = strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
		default:
			p.invalid("session-cookie-samesite", "%q is not None, Lax or Strict", s)
		}
	}
	a.Domain, _ = p.value("session-cookie-domain")
	p.affinityMode()
	return a
}

// affinityMode reads affinity-mode. Envoy hashes the cookie to an endpoint (nginx's balanced mode):
// when endpoints come and go, some sessions move, which nginx's persistent mode avoids.
func (p *nginxParser) affinityMode() {
	switch v, _ := p.value("affinity-mode"); v {
	case "", "balanced":
	case "persistent":
		p.approximated("affinity-mode", "persistent is served as balanced: the cookie is hashed to an endpoint, "+
			"so some sessions move to another endpoint when endpoints are added or removed")
	default:
		p.invalid("affinity-mode", "%q is not balanced or persistent", v)
	}
}
