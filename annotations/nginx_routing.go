package annotations

// nginxRoutingKeys are the ingress-nginx keys (without prefix) served through the Istio networking API:
// VirtualService routes and DestinationRules.
var nginxRoutingKeys = keySet()

// NginxRouting holds the ingress-nginx settings of one Ingress that the Istio networking API expresses.
type NginxRouting struct{}

// parseNginxRouting reads the routing keys of an Ingress's annotations, appending a finding for each
// value that cannot be used.
func parseNginxRouting(annotations map[string]string, findings []Finding) (NginxRouting, []Finding) {
	return NginxRouting{}, findings
}
