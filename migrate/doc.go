// Package migrate converts ingress-nginx Ingresses into Gateway API resources (or the Istio resources
// gatebridge serves) and reports, per object and annotation, what was carried over exactly, what was
// approximated and what was lost. It is pure: objects in, objects and a report out.
package migrate
