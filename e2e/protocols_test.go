package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

const protocolRoutes = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: protocols, namespace: shop}
spec:
  parentRefs: [{name: web}]
  hostnames: [protocols.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /h2}}]
    backendRefs: [{name: h2, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /ws}}]
    backendRefs: [{name: ws, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: health, namespace: shop}
spec:
  parentRefs: [{name: web}]
  hostnames: [grpc.example.com]
  rules:
  - matches: [{method: {service: grpc.health.v1.Health, method: Check}}]
    backendRefs: [{name: grpc, port: 80}]
`

// startGRPCBackend runs a real gRPC server offering the standard health service.
func startGRPCBackend(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	return l.Addr().String()
}

// TestProtocolsThroughEnvoy checks what the backend's protocol asks of Envoy: HTTP/2 without TLS for
// an h2c Service port, WebSocket upgrades, and gRPC routed by service and method.
func TestProtocolsThroughEnvoy(t *testing.T) {
	files := map[string]string{
		"gateway.yaml": gatewayManifests,
		"routes.yaml":  protocolRoutes,
		"h2.yaml":      serviceWithProtocol("shop", "h2", startH2CBackend(t, "h2").addr, "kubernetes.io/h2c"),
		"ws.yaml":      serviceWithProtocol("shop", "ws", startBackend(t, "ws").addr, "kubernetes.io/ws"),
		"grpc.yaml":    serviceWithProtocol("shop", "grpc", startGRPCBackend(t), "grpc"),
	}
	h := start(t, "gateway-shop-web", files)
	eventually(t, "first configuration", func() error { return h.answers("protocols.example.com", "/h2", "h2") })

	t.Run("h2c Service port gets HTTP/2", func(t *testing.T) {
		_, _, e, err := h.get("protocols.example.com", "/h2/x", nil)
		if err != nil || e.Proto != "HTTP/2.0" {
			t.Errorf("the backend saw %q (%v), want HTTP/2.0", e.Proto, err)
		}
	})

	t.Run("WebSocket upgrade carries data both ways", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", h.ports[80]), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprint(conn, "GET /ws/chat HTTP/1.1\r\nHost: protocols.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
		r := bufio.NewReader(conn)
		resp, err := http.ReadResponse(r, nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("upgrade answer: %v %v, want 101", resp, err)
		}
		fmt.Fprint(conn, "hello over the upgraded stream\n")
		line, err := r.ReadString('\n')
		if err != nil || strings.TrimSpace(line) != "hello over the upgraded stream" {
			t.Errorf("echo %q (%v)", line, err)
		}
	})

	t.Run("gRPC routed by service and method", func(t *testing.T) {
		cc, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", h.ports[80]),
			grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithAuthority("grpc.example.com"))
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		client := healthpb.NewHealthClient(cc)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil || resp.Status != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("Check through Envoy: %v %v, want SERVING", resp, err)
		}
		_, err = client.List(ctx, &healthpb.HealthListRequest{})
		if status.Code(err) != codes.Unimplemented {
			t.Errorf("List (no route matches it): %v, want Unimplemented from Envoy's 404", err)
		}
	})
}
