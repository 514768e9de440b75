// Package v1alpha1 holds gatebridge's own Kubernetes API, group gatebridge.dev version v1alpha1: the
// RoutePolicy that HTTPRoute rules name in an ExtensionRef filter.
package v1alpha1
