package convert

import (
	"regexp"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	istionet "istio.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/annotations"
)

// nginxCORSPolicy is the Istio CORS policy of enable-cors and its companions. As ingress-nginx answers
// every preflight of such a path itself, so does the gateway: one from an origin not allowed gets no
// CORS headers and does not reach the backend.
func nginxCORSPolicy(c *annotations.NginxCORS) *istionet.CorsPolicy {
	p := &istionet.CorsPolicy{
		UnmatchedPreflights: istionet.CorsPolicy_IGNORE,
		AllowMethods:        c.AllowMethods,
		AllowHeaders:        c.AllowHeaders,
		ExposeHeaders:       c.ExposeHeaders,
		MaxAge:              durationpb.New(time.Duration(c.MaxAge) * time.Second),
		AllowCredentials:    wrapperspb.Bool(c.AllowCredentials),
	}
	for _, o := range c.AllowOrigins {
		p.AllowOrigins = append(p.AllowOrigins, corsOrigin(o))
	}
	return p
}

// corsOrigin matches one allowed origin: "*" (Envoy's CORS filter allows any origin for it), an exact
// origin, or an origin whose host starts with "*." standing for one DNS label.
func corsOrigin(o string) *istionet.StringMatch {
	scheme, rest, ok := strings.Cut(o, "://*.")
	if !ok {
		return exactURI(o)
	}
	return regexMatch(regexp.QuoteMeta(scheme+"://") + `[A-Za-z0-9-]+\.` + regexp.QuoteMeta(rest))
}
