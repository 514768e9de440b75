// Package demo runs the bundled shop on one machine, for `make run`: demo backends on 127.0.0.1,
// standalone mode on a working copy of the manifests, a local certificate, and a real Envoy.
package demo
