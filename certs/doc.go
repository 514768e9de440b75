// Package certs turns TLS Secrets into validated TLS material for the model (and, later, knows which
// Certificates cert-manager's annotations imply).
package certs
