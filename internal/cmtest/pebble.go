package cmtest

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gatebridge/gatebridge/internal/childproc"
	"github.com/gatebridge/gatebridge/internal/pki"
)

// PebbleOptions says where Pebble validates HTTP-01 challenges.
type PebbleOptions struct {
	// HTTPPort is the port Pebble connects to for HTTP-01 validations; 80 when zero, as a real ACME
	// server does (and as cert-manager's own self-check always does).
	HTTPPort int
	// Address is what the DNS server answers for every name (A records; AAAA are not answered, so that
	// nothing tries ::1); 127.0.0.1 when empty.
	Address string
}

// Pebble is Let's Encrypt's ACME test server, validating challenges with pebble-challtestsrv as its
// DNS server.
type Pebble struct {
	// Directory is the ACME directory URL, for an Issuer's spec.acme.server.
	Directory string
	// CABundle is the CA certificate of Pebble's HTTPS listeners, for an Issuer's spec.acme.caBundle.
	CABundle []byte
	// DNS is the challtestsrv DNS server (host:port), for Options.ACMENameservers.
	DNS string

	management string // base URL of Pebble's management interface
	client     *http.Client
}

// StartPebble starts pebble-challtestsrv (DNS only) and Pebble for a test, stops them when it ends
// and waits until both answer.
func StartPebble(t testing.TB, opts PebbleOptions) *Pebble {
	t.Helper()
	bin, err := BinDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// The DNS port serves UDP too: a UDP port taken by then makes challtestsrv exit, which waitReady reports.
	ports, err := childproc.FreePorts(4)
	if err != nil {
		t.Fatal(err)
	}
	p, cfg, err := writePebbleConfig(dir, ports, cmp.Or(opts.HTTPPort, 80))
	if err != nil {
		t.Fatal(err)
	}
	dns, err := startProcess(ChallTestSrvBin, bin, dir, []string{
		"-dnsserver", p.DNS, "-management", "127.0.0.1:" + strconv.Itoa(ports[3]),
		"-defaultIPv4", cmp.Or(opts.Address, "127.0.0.1"), "-defaultIPv6", "",
		"-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	logOnFailure(t, dns)
	// No random sleep before a validation and no random bad-nonce errors: the test waits for neither.
	env := []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0"}
	pebble, err := startProcess(PebbleBin, bin, dir, []string{"-config", cfg, "-dnsserver", p.DNS}, env)
	if err != nil {
		t.Fatal(err)
	}
	logOnFailure(t, pebble)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.waitReady(ctx, cmp.Or(opts.Address, "127.0.0.1"), dns, pebble); err != nil {
		t.Fatal(err)
	}
	return p
}

// writePebbleConfig makes the CA and certificate of Pebble's listeners and its configuration, on
// ports[0] (ACME), ports[1] (management) and with DNS on ports[2].
func writePebbleConfig(dir string, ports []int, httpPort int) (*Pebble, string, error) {
	ca, err := pki.NewCA("pebble listeners")
	if err != nil {
		return nil, "", err
	}
	// The URLs say localhost: the certificate names hosts, not addresses.
	leaf, err := ca.IssueNow("localhost")
	if err != nil {
		return nil, "", err
	}
	certFile, keyFile := filepath.Join(dir, "listener.crt"), filepath.Join(dir, "listener.key")
	for f, b := range map[string][]byte{certFile: leaf.CertPEM, keyFile: leaf.KeyPEM} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			return nil, "", fmt.Errorf("write pebble credentials: %w", err)
		}
	}
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress":                  "127.0.0.1:" + strconv.Itoa(ports[0]),
		"managementListenAddress":        "127.0.0.1:" + strconv.Itoa(ports[1]),
		"certificate":                    certFile,
		"privateKey":                     keyFile,
		"httpPort":                       httpPort,
		"tlsPort":                        443,
		"externalAccountBindingRequired": false,
		"retryAfter":                     map[string]int{"authz": 1, "order": 1},
		"keyAlgorithm":                   "ecdsa",
		"profiles":                       map[string]any{"default": map[string]any{"description": "tests", "validityPeriod": 7776000}},
	}}
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("encode pebble config: %w", err)
	}
	path := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, "", fmt.Errorf("write pebble config: %w", err)
	}
	p := &Pebble{
		Directory:  fmt.Sprintf("https://localhost:%d/dir", ports[0]),
		CABundle:   ca.CertPEM,
		DNS:        "127.0.0.1:" + strconv.Itoa(ports[2]),
		management: fmt.Sprintf("https://localhost:%d", ports[1]),
		client:     &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}},
	}
	return p, path, nil
}

// waitReady waits until the DNS server answers addr for a test name and Pebble serves its directory.
func (p *Pebble) waitReady(ctx context.Context, addr string, procs ...*childproc.Process) error {
	resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", p.DNS)
	}}
	return poll(ctx, "pebble", func(ctx context.Context) error {
		got, err := resolver.LookupHost(ctx, "probe.example.com")
		if err != nil || len(got) != 1 || got[0] != addr {
			return fmt.Errorf("DNS answers %v (%v), want %s", got, err, addr)
		}
		_, err = p.get(ctx, p.Directory)
		return err
	}, procs...)
}

// Roots returns a pool of Pebble's root certificate, which the certificates it issues chain to. Pebble
// makes a new root each time it starts.
func (p *Pebble) Roots(ctx context.Context) (*x509.CertPool, error) {
	b, err := p.get(ctx, p.management+"/roots/0")
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("pebble root: no certificate in %q", b)
	}
	return pool, nil
}

func (p *Pebble) get(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return b, nil
}

// ACMEClusterIssuer is the manifest of an ACME ClusterIssuer called name, registered with pebble and
// solving HTTP-01 challenges with http01 (a YAML flow map, such as
// `{ingress: {ingressClassName: gatebridge}}` or `{gatewayHTTPRoute: {parentRefs: [...]}}`).
func ACMEClusterIssuer(name string, pebble *Pebble, http01 string) []byte {
	return fmt.Appendf(nil, `apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: %[1]s}
spec:
  acme:
    server: %[2]s
    caBundle: %[3]s
    email: tests@example.com
    privateKeySecretRef: {name: %[1]s-account}
    solvers: [{http01: %[4]s}]
`, name, pebble.Directory, base64.StdEncoding.EncodeToString(pebble.CABundle), http01)
}
