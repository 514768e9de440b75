// Package convert translates Ingress and Gateway API objects (with the Services, EndpointSlices,
// ReferenceGrants and Secrets they name) into the Istio-shaped model and the status each object should get.
package convert
