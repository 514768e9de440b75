// Package certs is gatebridge's knowledge of TLS certificates and cert-manager: it validates TLS Secrets
// into the material Envoy serves (Check, Validate), parses cert-manager's annotations (ParseAnnotations)
// and tells which Certificates cert-manager's ingress-shim and gateway-shim create (Desired).
package certs
