// Package model is the Istio-shaped model between conversion and xDS: Gateways, VirtualServices and
// DestinationRules (istio.io/api types) grouped by Envoy fleet, plus the Services and endpoints they name.
package model
