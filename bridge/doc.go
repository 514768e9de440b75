// Package bridge runs gatebridge: it fills convert.Input from a source (a folder of manifests in
// standalone mode; the API server in a later issue), translates, and pushes the result to Envoy fleets.
package bridge
