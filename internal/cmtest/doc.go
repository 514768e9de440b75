// Package cmtest runs the real cert-manager controllers (built by `make cert-manager` into a cache outside
// the repository) against a kubetest control plane, and makes CA issuers for tests.
package cmtest
