package annotations

import (
	"net/url"
	"regexp"
	"strings"
)

var nginxCORSKeys = []string{"enable-cors", "cors-allow-origin", "cors-allow-methods", "cors-allow-headers",
	"cors-expose-headers", "cors-allow-credentials", "cors-max-age"}

// NginxCORS answers CORS preflights and decorates responses, with ingress-nginx's defaults.
type NginxCORS struct {
	// AllowOrigins are "*", exact origins, or origins whose host starts with "*." (one DNS label).
	AllowOrigins     []string
	AllowMethods     []string
	AllowHeaders     []string
	ExposeHeaders    []string
	AllowCredentials bool
	// MaxAge is in seconds.
	MaxAge int
}

// ingress-nginx's defaults (v1.12).
var (
	defaultCORSMethods = []string{"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"}
	defaultCORSHeaders = []string{"DNT", "Keep-Alive", "User-Agent", "X-Requested-With", "If-Modified-Since",
		"Cache-Control", "Content-Type", "Range", "Authorization"}
	corsMethod = regexp.MustCompile(`^[A-Za-z]+$`)
	corsHeader = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

func (p *nginxParser) cors() *NginxCORS {
	if !p.bool("enable-cors", false) {
		p.unused("needs enable-cors: \"true\"", nginxCORSKeys[1:]...)
		return nil
	}
	return &NginxCORS{
		AllowOrigins:     p.corsList("cors-allow-origin", []string{"*"}, validOrigin),
		AllowMethods:     p.corsList("cors-allow-methods", defaultCORSMethods, corsMethod.MatchString),
		AllowHeaders:     p.corsList("cors-allow-headers", defaultCORSHeaders, corsHeader.MatchString),
		ExposeHeaders:    p.corsList("cors-expose-headers", nil, corsHeader.MatchString),
		AllowCredentials: p.bool("cors-allow-credentials", true),
		MaxAge:           p.int("cors-max-age", 0, 1728000),
	}
}

// corsList reads a comma-separated list whose every item must be valid; otherwise def is used.
func (p *nginxParser) corsList(name string, def []string, valid func(string) bool) []string {
	v, ok := p.value(name)
	if !ok {
		return def
	}
	var out []string
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !valid(item) {
			p.invalid(name, "%q is not valid in %q", item, v)
			return def
		}
		out = append(out, item)
	}
	return out
}

// validOrigin accepts "*" and http(s) origins (scheme, host, optional port; the host may start with
// "*.").
func validOrigin(o string) bool {
	if o == "*" {
		return true
	}
	u, err := url.Parse(strings.Replace(o, "://*.", "://wildcard.", 1))
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Path == "" &&
		u.RawQuery == "" && u.User == nil
}
