package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// grpcPolicyRoute is a GRPCRoute of namespace shop on Gateway web for host <name>.example.com, sending
// every method to the Service grpc, whose rule names the RoutePolicy policy (none when empty).
func grpcPolicyRoute(name, policy string) string {
	return refRoute("GRPCRoute", "grpc", name, policy)
}

// grpcRecorder is a gRPC health server that keeps the x-auth-request-user metadata of its last call.
type grpcRecorder struct {
	mu       sync.Mutex
	lastUser []string
}

func (r *grpcRecorder) user() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastUser
}

// startGRPCRecorder runs a real gRPC server offering the standard health service (a service named
// "big" of 2000 characters is SERVING too), recording the metadata of each unary call.
func startGRPCRecorder(t *testing.T) (*grpcRecorder, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &grpcRecorder{}
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		rec.mu.Lock()
		rec.lastUser = md.Get("x-auth-request-user")
		rec.mu.Unlock()
		return handler(ctx, req)
	}))
	hs := health.NewServer()
	hs.SetServingStatus(bigService, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	return rec, l.Addr().String()
}

// bigService is a health service name whose Check request is larger than 1024 bytes.
var bigService = strings.Repeat("s", 2000)

// grpcFrom is a health client of host <name>.example.com through Envoy's port 80, from the loopback
// address from.
func grpcFrom(t *testing.T, h *harness, from, name string) healthpb.HealthClient {
	t.Helper()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	cc, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", h.ports[80]),
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithAuthority(name+".example.com"),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) { return dialer.DialContext(ctx, "tcp", addr) }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return healthpb.NewHealthClient(cc)
}

// checkCode makes a health Check (of service, with metadata kv) and compares its gRPC code.
func checkCode(t *testing.T, c healthpb.HealthClient, what, service string, want codes.Code, kv ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, kv...)
	_, err := c.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if got := status.Code(err); got != want {
		t.Errorf("%s: %v, want %s", what, err, want)
	}
}

// TestGRPCRoutePolicyThroughEnvoy sends real gRPC calls through a real Envoy, programmed from GRPCRoutes
// whose rules name RoutePolicies, to a real gRPC server. Envoy answers a gRPC request it refuses with
// a gRPC status mapped from the HTTP one: 403 PERMISSION_DENIED, 401 UNAUTHENTICATED, 429 and 503
// UNAVAILABLE, 413 UNKNOWN; a rule naming a missing RoutePolicy answers UNAVAILABLE. The idle timeout
// ends a server stream that stays silent.
func TestGRPCRoutePolicyThroughEnvoy(t *testing.T) {
	rec, addr := startGRPCRecorder(t)
	files := map[string]string{
		"gateway.yaml": gatewayManifests,
		"grpc.yaml":    serviceWithProtocol("shop", "grpc", addr, "grpc"),
		"auth.yaml":    service("shop", "auth", startAuthService(t)),
		"routes.yaml": strings.Join([]string{grpcPolicyRoute("plain", ""), grpcPolicyRoute("allow", "allow"),
			grpcPolicyRoute("limit", "limit"), grpcPolicyRoute("basic", "basic"), grpcPolicyRoute("ext", "ext"),
			grpcPolicyRoute("body", "body"), grpcPolicyRoute("idle", "idle"), grpcPolicyRoute("missing", "absent")}, "---\n"),
		"policies.yaml": strings.Join([]string{
			routePolicy("allow", "{sourceRanges: {allow: [127.0.0.2]}}"),
			routePolicy("limit", "{rateLimits: [{requests: 2, periodSeconds: 60, burst: 4}]}"),
			routePolicy("basic", "{basicAuth: {secretName: users, realm: Staff}}"),
			routePolicy("ext", "{extAuth: {backendRef: {name: auth, port: 80}, path: /check, responseHeaders: [X-Auth-Request-User]}}"),
			routePolicy("body", "{maxRequestBodyBytes: 1024}"),
			routePolicy("idle", "{idleTimeoutSeconds: 1}"),
		}, "---\n"),
		"users.yaml": authSecrets(),
	}
	h := start(t, "gateway-shop-web", files)
	eventually(t, "first configuration", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := grpcFrom(t, h, "127.0.0.1", "idle").Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	})
	local := func(name string) healthpb.HealthClient { return grpcFrom(t, h, "127.0.0.1", name) }

	t.Run("source ranges", func(t *testing.T) {
		checkCode(t, grpcFrom(t, h, "127.0.0.2", "allow"), "allow from 127.0.0.2", "", codes.OK)
		checkCode(t, local("allow"), "allow from 127.0.0.1", "", codes.PermissionDenied)
		checkCode(t, local("plain"), "plain", "", codes.OK)
	})
	t.Run("rate limit per client address", func(t *testing.T) {
		c := grpcFrom(t, h, "127.0.0.4", "limit")
		for i := range 4 {
			checkCode(t, c, fmt.Sprintf("call %d", i), "", codes.OK)
		}
		checkCode(t, c, "fifth call", "", codes.Unavailable)
		checkCode(t, grpcFrom(t, h, "127.0.0.5", "limit"), "another client", "", codes.OK)
	})
	t.Run("basic auth", func(t *testing.T) {
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:wonderland"))
		checkCode(t, local("basic"), "no credentials", "", codes.Unauthenticated)
		checkCode(t, local("basic"), "good credentials", "", codes.OK, "authorization", basic)
		checkCode(t, local("basic"), "bad credentials", "", codes.Unauthenticated, "authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("alice:x")))
	})
	t.Run("external auth", func(t *testing.T) {
		checkCode(t, local("ext"), "good token", "", codes.OK, "authorization", "Bearer good")
		if got := rec.user(); len(got) != 1 || got[0] != "alice" {
			t.Errorf("the backend got x-auth-request-user %v, want [alice]", got)
		}
		checkCode(t, local("ext"), "bad token", "", codes.Unauthenticated, "authorization", "Bearer bad")
	})
	t.Run("body size", func(t *testing.T) {
		checkCode(t, local("body"), "small request", "", codes.OK)
		checkCode(t, local("body"), "request over 1024 bytes", bigService, codes.Unknown)
		checkCode(t, local("plain"), "large request without a limit", bigService, codes.OK)
	})
	t.Run("idle timeout", func(t *testing.T) { testGRPCIdle(t, local) })
	t.Run("missing policy", func(t *testing.T) {
		checkCode(t, local("missing"), "missing", "", codes.Unavailable)
	})
}

// testGRPCIdle opens health Watch streams, which stay silent after the first answer: Envoy resets the
// one of host idle after a second, while the one of host plain lasts until the client gives up.
func testGRPCIdle(t *testing.T, client func(string) healthpb.HealthClient) {
	watch := func(name string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		defer cancel()
		stream, err := client(name).Watch(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return err
		}
		for {
			if _, err := stream.Recv(); err != nil {
				return err
			}
		}
	}
	if err := watch("plain"); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("plain stream ended with %v, want the client's DeadlineExceeded", err)
	}
	if err := watch("idle"); err == nil || status.Code(err) == codes.DeadlineExceeded {
		t.Errorf("idle stream ended with %v, want Envoy's reset before the client's deadline", err)
	}
}
