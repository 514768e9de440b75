package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatebridge/gatebridge/envoyxds"
	"github.com/gatebridge/gatebridge/internal/pki"
	"github.com/gatebridge/gatebridge/model"
)

// drFleet is the fleet of the DestinationRule test; its Gateway serves dr.example.com on port 80.
const drFleet = "ingress-dr"

// drModel is the model of the DestinationRule test: one route per behaviour, each to a subset of a
// DestinationRule (see TestDestinationRulesThroughEnvoy). Its %s are the Services' endpoints.
const drModel = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ingress, namespace: gatebridge-system, labels: {gatebridge.dev/fleet: ingress-dr}}
spec:
  servers: [{hosts: ['*'], name: http, port: {name: http, number: 80, protocol: HTTP}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: dr, namespace: gatebridge-system, labels: {gatebridge.dev/fleet: ingress-dr}}
spec:
  gateways: [gatebridge-system/ingress]
  hosts: [dr.example.com]
  http:
  - {match: [{uri: {prefix: /simple}}], route: [{destination: {host: secure.shop.svc.cluster.local, port: {number: 443}, subset: ca}}]}
  - {match: [{uri: {prefix: /wrong-ca}}], route: [{destination: {host: secure.shop.svc.cluster.local, port: {number: 443}, subset: wrong-ca}}]}
  - {match: [{uri: {prefix: /wrong-san}}], route: [{destination: {host: secure.shop.svc.cluster.local, port: {number: 443}, subset: wrong-san}}]}
  - {match: [{uri: {prefix: /mutual}}], route: [{destination: {host: mtls.shop.svc.cluster.local, port: {number: 443}, subset: mutual}}]}
  - {match: [{uri: {prefix: /no-client-cert}}], route: [{destination: {host: mtls.shop.svc.cluster.local, port: {number: 443}, subset: simple}}]}
  - {match: [{uri: {prefix: /sticky}}], route: [{destination: {host: pair.shop.svc.cluster.local, port: {number: 80}, subset: sticky}}]}
  - {match: [{uri: {prefix: /plain}}], route: [{destination: {host: pair.shop.svc.cluster.local, port: {number: 80}}}]}
  - {match: [{uri: {prefix: /connect}}], route: [{destination: {host: blackhole.shop.svc.cluster.local, port: {number: 80}, subset: fast}}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: secure, namespace: shop}
spec:
  host: secure.shop.svc.cluster.local
  trafficPolicy:
    tls: {mode: SIMPLE, credentialName: shop/backend-ca, sni: secure.internal, subjectAltNames: [secure.internal]}
  subsets:
  - {name: ca}
  - name: wrong-ca
    trafficPolicy: {tls: {mode: SIMPLE, credentialName: shop/other-ca, sni: secure.internal}}
  - name: wrong-san
    trafficPolicy: {tls: {mode: SIMPLE, credentialName: shop/backend-ca, sni: secure.internal, subjectAltNames: [other.internal]}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: mtls, namespace: shop}
spec:
  host: mtls.shop.svc.cluster.local
  subsets:
  - name: mutual
    trafficPolicy: {tls: {mode: MUTUAL, credentialName: shop/client, sni: mtls.internal}}
  - name: simple
    trafficPolicy: {tls: {mode: SIMPLE, credentialName: shop/backend-ca, sni: mtls.internal}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: pair, namespace: shop}
spec:
  host: pair.shop.svc.cluster.local
  subsets:
  - name: sticky
    trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {name: route, path: /, ttl: 3600s}}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: blackhole, namespace: shop}
spec:
  host: blackhole.shop.svc.cluster.local
  subsets:
  - name: fast
    trafficPolicy: {connectionPool: {tcp: {connectTimeout: 0.3s}}}
---
apiVersion: gatebridge.dev/model
kind: BackendService
service: {host: secure.shop.svc.cluster.local, name: secure, namespace: shop, ports: [{name: https, number: 443, protocol: HTTPS, endpoints: [%s]}]}
---
apiVersion: gatebridge.dev/model
kind: BackendService
service: {host: mtls.shop.svc.cluster.local, name: mtls, namespace: shop, ports: [{name: https, number: 443, protocol: HTTPS, endpoints: [%s]}]}
---
apiVersion: gatebridge.dev/model
kind: BackendService
service: {host: pair.shop.svc.cluster.local, name: pair, namespace: shop, ports: [{name: http, number: 80, protocol: HTTP, endpoints: [%s, %s]}]}
---
apiVersion: gatebridge.dev/model
kind: BackendService
service: {host: blackhole.shop.svc.cluster.local, name: blackhole, namespace: shop, ports: [{name: http, number: 80, protocol: HTTP, endpoints: [%s]}]}
`

// TestDestinationRulesThroughEnvoy serves a model with DestinationRules to a real Envoy and checks what
// each asks for: TLS to a backend verified with a Secret's CA (503 with another CA or a SAN the
// certificate lacks), a client certificate for mutual TLS (503 without it), a cookie keeping a client on
// one of two backends, and a connect timeout shorter than the default.
func TestDestinationRulesThroughEnvoy(t *testing.T) {
	backendCA, otherCA := newCA(t, "dr backends"), newCA(t, "dr other")
	secure := startTLSBackend(t, "secure", keyPair(t, backendCA, "secure.internal"))
	mtls := startMutualTLSBackend(t, "mtls", keyPair(t, backendCA, "mtls.internal"), backendCA)
	one, two := startBackend(t, "one"), startBackend(t, "two")
	client := issueLeaf(t, backendCA, "gateway.internal")
	snap, err := model.ParseYAML(strings.NewReader(fmt.Sprintf(drModel, endpoint(t, secure.addr), endpoint(t, mtls.addr),
		endpoint(t, one.addr), endpoint(t, two.addr), endpoint(t, blackhole(t)))))
	if err != nil {
		t.Fatal(err)
	}
	snap.Secrets = []model.TLSSecret{
		{Name: "shop/backend-ca", CA: backendCA.CertPEM},
		{Name: "shop/other-ca", CA: otherCA.CertPEM},
		{Name: "shop/client", Cert: client.CertPEM, Key: client.KeyPEM, CA: backendCA.CertPEM},
	}
	h := newHarness(t)
	serveModel(t, h, snap)

	t.Run("SIMPLE TLS verified with the Secret's CA", func(t *testing.T) {
		eventually(t, "/simple", func() error { return h.answers("dr.example.com", "/simple", "secure") })
		if _, _, e, err := h.get("dr.example.com", "/simple", nil); err != nil || !e.TLS {
			t.Errorf("the backend did not get TLS (TLS %t, %v)", e.TLS, err)
		}
		h.expectBackend(t, "dr.example.com", "/wrong-ca", http.StatusServiceUnavailable, "", "")
		h.expectBackend(t, "dr.example.com", "/wrong-san", http.StatusServiceUnavailable, "", "")
	})
	t.Run("MUTUAL TLS presents the Secret's certificate", func(t *testing.T) {
		h.expectBackend(t, "dr.example.com", "/mutual", http.StatusOK, "mtls", "/mutual")
		h.expectBackend(t, "dr.example.com", "/no-client-cert", http.StatusServiceUnavailable, "", "")
	})
	t.Run("a cookie keeps a client on one backend", func(t *testing.T) {
		checkStickyCookie(t, h)
	})
	t.Run("connect timeout", func(t *testing.T) {
		checkConnectTimeout(t, h)
	})
}

// checkStickyCookie checks that plain round robin reaches both backends of the pair, while requests
// carrying the cookie Envoy set on the first answer all reach the same one.
func checkStickyCookie(t *testing.T, h *harness) {
	seen := map[string]int{}
	for range 20 {
		_, _, e, err := h.get("dr.example.com", "/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		seen[e.Backend]++
	}
	if seen["one"] == 0 || seen["two"] == 0 {
		t.Fatalf("round robin reached %v, want both backends (else stickiness proves nothing)", seen)
	}
	code, header, first, err := h.get("dr.example.com", "/sticky", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("first /sticky: %d %v", code, err)
	}
	cookie := ""
	for _, c := range (&http.Response{Header: header}).Cookies() {
		if c.Name == "route" {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		t.Fatalf("no route cookie set: %v", header.Values("Set-Cookie"))
	}
	for i := range 20 {
		_, _, e, err := h.get("dr.example.com", "/sticky", map[string]string{"Cookie": cookie})
		if err != nil || e.Backend != first.Backend {
			t.Fatalf("request %d with %s went to %q (%v), want %q", i, cookie, e.Backend, err, first.Backend)
		}
	}
}

// checkConnectTimeout sends a request to a backend that never completes a connection: with the rule's
// 0.3 s connect timeout Envoy answers 503 and counts a connect timeout well before the client gives up
// after 3 s (the default timeout, 5 s, would not).
func checkConnectTimeout(t *testing.T, h *harness) {
	client := &http.Client{Timeout: 3 * time.Second}
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/connect", h.ports[80]), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "dr.example.com"
	code, _, _, err := roundTrip(client, req)
	if err != nil || code != http.StatusServiceUnavailable {
		t.Fatalf("GET /connect: %d %v, want 503 from the connect timeout", code, err)
	}
	stat := "cluster.outbound|80|fast|blackhole.shop.svc.cluster.local.upstream_cx_connect_timeout"
	if n, err := h.stat(stat); err != nil || n == 0 {
		t.Errorf("%s = %d (%v), want at least 1", stat, n, err)
	}
}

// serveModel serves a model to a new Envoy of drFleet through an xDS server of its own.
func serveModel(t *testing.T, h *harness, snap *model.Snapshot) {
	t.Helper()
	srv := envoyxds.NewServer(testLog())
	res, err := envoyxds.Translate(snap, drFleet, h.envoyOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Update(context.Background(), drFleet, res); err != nil {
		t.Fatal(err)
	}
	h.startEnvoy(drFleet, serve(t, srv.Serve))
	eventually(t, "Envoy takes the configuration", func() error {
		for _, fs := range srv.Status() {
			for _, n := range fs.Nodes {
				if n.Nacked != "" {
					t.Fatalf("Envoy rejected the configuration: %s", n.NackText)
				}
				if fs.Fleet == drFleet && n.Acked == fs.Version {
					return nil
				}
			}
		}
		return errors.New("no ACK yet")
	})
}

// startMutualTLSBackend runs a TLS backend that asks every client for a certificate signed by clients.
func startMutualTLSBackend(t *testing.T, name string, cert tls.Certificate, clients *pki.CA) *backend {
	return serveBackend(t, name, "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAnyClientCert,
		// pki signs serving certificates only: check the chain without asking for client-auth usage.
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			leaf, err := x509.ParseCertificate(raw[0])
			if err != nil {
				return err
			}
			_, err = leaf.Verify(x509.VerifyOptions{Roots: clients.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
			return err
		},
	})
}

// blackhole listens on 127.0.0.1 with a backlog it fills at once, so that further connections are
// never completed: their SYNs are dropped. It returns the address.
func blackhole(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
		if err != nil {
			return addr // the backlog is full
		}
		t.Cleanup(func() { _ = c.Close() })
		if i > 64 {
			t.Fatal("the backlog never filled")
		}
	}
}

// endpoint is a model endpoint (YAML flow mapping) for host:port.
func endpoint(t *testing.T, addr string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("{address: %s, port: %s}", host, port)
}
