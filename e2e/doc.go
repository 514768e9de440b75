// Package e2e holds end-to-end tests: gatebridge programs a real Envoy (from the project's virtualenv,
// or ENVOY_BIN) that forwards real HTTP to real backends on 127.0.0.1.
package e2e
