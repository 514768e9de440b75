// Package layering holds the test that keeps gatebridge's stages apart: the pure stages never reach the
// API server, gRPC or go-control-plane, and the xDS stage never reads Kubernetes or Gateway API types.
package layering
