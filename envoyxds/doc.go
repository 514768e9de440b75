// Package envoyxds turns the model into Envoy resources (listeners, routes, clusters, endpoints,
// secrets) for one fleet, validates them, and serves them over ADS and SDS.
package envoyxds
