package annotations

// nginxPolicyKeys are the ingress-nginx keys (without prefix) served by gatebridge's route policies
// (model.RoutePolicy): what the Istio networking API has no field for.
var nginxPolicyKeys = keySet()

// NginxPolicy holds the ingress-nginx settings of one Ingress that become a route policy.
type NginxPolicy struct{}

// parseNginxPolicy reads the policy keys of an Ingress's annotations, appending a finding for each value
// that cannot be used.
func parseNginxPolicy(annotations map[string]string, findings []Finding) (NginxPolicy, []Finding) {
	return NginxPolicy{}, findings
}
