// Package annotations parses the annotations of Ingress and Gateway objects (ingress-nginx's,
// cert-manager's, gatebridge's own) into typed settings plus findings about what is not supported.
package annotations
