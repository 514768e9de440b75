package cmtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatebridge/gatebridge/internal/kubetest"
)

// TestVersionMatchesToolsModule keeps Version equal to the version hack/certmanager builds.
func TestVersionMatchesToolsModule(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "hack", "certmanager", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/cert-manager/cert-manager (v\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("hack/certmanager/go.mod does not require github.com/cert-manager/cert-manager")
	}
	if string(m[1]) != Version {
		t.Errorf("hack/certmanager builds cert-manager %s, cmtest.Version is %s", m[1], Version)
	}
}

const shopIngress = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: shop
  annotations: {cert-manager.io/cluster-issuer: shop-ca}
spec:
  tls: [{hosts: [b.example.com, a.example.com], secretName: shop-tls}]
  rules:
  - host: a.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}
`

// TestIngressCertificate runs the real cert-manager: an Ingress annotated with a CA ClusterIssuer gets
// a Secret for its hosts signed by that CA, and a forced renewal issues a new certificate.
func TestIngressCertificate(t *testing.T) {
	cluster := kubetest.Start(t, kubetest.Options{ControllerManager: true})
	start := time.Now()
	cm := Start(t, cluster, Options{})
	t.Logf("cert-manager ready in %v", time.Since(start).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()

	ca, err := cm.NewCA(ctx, "shop-ca")
	if err != nil {
		t.Fatal(err)
	}
	if !ca.Cert.IsCA || ca.Cert.Subject.CommonName != "shop-ca test CA" {
		t.Fatalf("CA certificate %q, IsCA %v", ca.Cert.Subject, ca.Cert.IsCA)
	}
	t.Logf("CA issuer ready after %v", time.Since(start).Round(time.Millisecond))
	if _, err := cluster.Apply(ctx, []byte(shopIngress)); err != nil {
		t.Fatal(err)
	}
	revision, err := cm.WaitCertificate(ctx, "shop", "shop-tls", 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("certificate issued after %v", time.Since(start).Round(time.Millisecond))
	first, err := cm.Leaf(ctx, "shop", "shop-tls")
	if err != nil {
		t.Fatal(err)
	}
	names := slices.Sorted(slices.Values(first.DNSNames))
	if want := []string{"a.example.com", "b.example.com"}; !slices.Equal(names, want) {
		t.Errorf("DNS names %q, want %q", names, want)
	}
	for _, host := range []string{"a.example.com", "b.example.com"} {
		if err := ca.Verify(first, host); err != nil {
			t.Error(err)
		}
	}

	t.Run("a forced renewal issues a new certificate", func(t *testing.T) {
		if err := cm.Renew(ctx, "shop", "shop-tls"); err != nil {
			t.Fatal(err)
		}
		if _, err := cm.WaitCertificate(ctx, "shop", "shop-tls", revision+1); err != nil {
			t.Fatal(err)
		}
		renewed, err := cm.Leaf(ctx, "shop", "shop-tls")
		if err != nil {
			t.Fatal(err)
		}
		if renewed.SerialNumber.Cmp(first.SerialNumber) == 0 {
			t.Errorf("serial %x unchanged by the renewal", first.SerialNumber)
		}
		if err := ca.Verify(renewed, "a.example.com"); err != nil {
			t.Error(err)
		}
	})
}

// TestPebbleAccount runs Pebble with its DNS server and checks that an ACME ClusterIssuer pointed at it
// registers its account: the wiring the ACME end-to-end test builds on.
func TestPebbleAccount(t *testing.T) {
	cluster := kubetest.Start(t, kubetest.Options{})
	pebble := StartPebble(t, PebbleOptions{})
	cm := Start(t, cluster, Options{ACMENameservers: []string{pebble.DNS}})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	if _, err := cluster.Apply(ctx, ACMEClusterIssuer("pebble", pebble, "{ingress: {ingressClassName: gatebridge}}")); err != nil {
		t.Fatal(err)
	}
	if err := cm.WaitClusterIssuer(ctx, "pebble"); err != nil {
		t.Fatal(err)
	}
	if _, err := pebble.Roots(ctx); err != nil {
		t.Error(err)
	}
}

// TestRunnerKeyMatchesBuildScript keeps CacheDir where hack/certmanager/build.sh builds.
func TestRunnerKeyMatchesBuildScript(t *testing.T) {
	t.Setenv("GATEBRIDGE_CACHE", t.TempDir())
	out, err := exec.Command("sh", filepath.Join("..", "..", "hack", "certmanager", "build.sh"), "--print-dir").Output()
	if err != nil {
		t.Fatalf("build.sh --print-dir: %v", err)
	}
	want, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("build.sh builds into %s, CacheDir is %s", got, want)
	}
}
