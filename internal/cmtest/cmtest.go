package cmtest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/internal/childproc"
	"github.com/gatebridge/gatebridge/internal/kubetest"
)

// DefaultClusterResourceNamespace holds the CA Secrets of ClusterIssuers when Options leave it empty.
const DefaultClusterResourceNamespace = "cert-manager"

// Options says how to run cert-manager.
type Options struct {
	// GatewayAPI runs the gateway-shim and HTTP-01 solving through HTTPRoutes (--enable-gateway-api).
	// The Gateway API CRDs must be applied before Start: cert-manager refuses to start without them.
	GatewayAPI bool
	// ListenerSets also runs cert-manager's ListenerSet shim, alpha in cert-manager: the feature gate
	// ListenerSets and --enable-gateway-api-listenerset (gatewayAPI.enableListenerSet in cert-manager's
	// configuration). It implies GatewayAPI; the ListenerSet CRD must be served before Start.
	ListenerSets bool
	// ClusterResourceNamespace is where ClusterIssuers find their Secrets; Start creates it.
	// DefaultClusterResourceNamespace when empty.
	ClusterResourceNamespace string
	// ACMENameservers are the DNS servers (host:port) of the ACME HTTP-01 self-check.
	ACMENameservers []string
	// Args are added to the runner's flags (see hack/certmanager/main.go); a later flag wins.
	Args []string
	// StartTimeout bounds applying the CRDs and waiting for the informers to sync; 60 s when zero.
	StartTimeout time.Duration
}

// CertManager is a running cert-manager.
type CertManager struct {
	// ClusterResourceNamespace is where ClusterIssuers keep their Secrets.
	ClusterResourceNamespace string
	// LogPath is the file that gets cert-manager's output.
	LogPath string

	cluster *kubetest.Cluster
	proc    *childproc.Process
}

// Start applies cert-manager's CRDs to cluster, starts cert-manager against it and waits until its
// informers have synced. It stops cert-manager when the test ends, logging the end of its output if the
// test failed. A missing build fails the test, telling to run `make cert-manager`.
func Start(t testing.TB, cluster *kubetest.Cluster, opts Options) *CertManager {
	t.Helper()
	bin, err := BinDir()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmp.Or(opts.StartTimeout, 60*time.Second))
	defer cancel()
	cm, err := StartContext(ctx, cluster, bin, t.TempDir(), opts)
	if cm != nil {
		logOnFailure(t, cm.proc)
	}
	if err != nil {
		t.Fatalf("start cert-manager %s: %v", Version, err)
	}
	return cm
}

// StartContext is Start without a test: bin holds the build, dir gets the log and the ready file. On
// error the returned CertManager, when not nil, is running or has run: call Stop.
func StartContext(ctx context.Context, cluster *kubetest.Cluster, bin, dir string, opts Options) (*CertManager, error) {
	if err := ApplyCRDs(ctx, cluster, bin); err != nil {
		return nil, err
	}
	ns := cmp.Or(opts.ClusterResourceNamespace, DefaultClusterResourceNamespace)
	if err := ensureNamespace(ctx, cluster, ns); err != nil {
		return nil, err
	}
	ready := filepath.Join(dir, "cert-manager.ready")
	args := []string{
		"--kubeconfig=" + cluster.Kubeconfig,
		"--cluster-resource-namespace=" + ns,
		"--ready-file=" + ready,
		"-v=2", // cert-manager's info level: what it issues and why
	}
	if opts.GatewayAPI || opts.ListenerSets {
		args = append(args, "--enable-gateway-api")
	}
	if opts.ListenerSets {
		args = append(args, "--enable-gateway-api-listenerset", "--feature-gates=ListenerSets=true")
	}
	if len(opts.ACMENameservers) > 0 {
		args = append(args, "--acme-http01-solver-nameservers="+strings.Join(opts.ACMENameservers, ","))
	}
	p, err := startProcess(runnerBin, bin, dir, append(args, opts.Args...), nil)
	if err != nil {
		return nil, err
	}
	cm := &CertManager{ClusterResourceNamespace: ns, LogPath: p.LogPath, cluster: cluster, proc: p}
	return cm, cm.waitReady(ctx, ready)
}

// Stop stops cert-manager: SIGTERM, then SIGKILL after a grace period. It is safe to call more than once.
func (cm *CertManager) Stop() { cm.proc.Stop(stopGrace) }

// Exited returns an error when cert-manager is no longer running, nil while it runs.
func (cm *CertManager) Exited() error { return cm.proc.Exited() }

// ApplyCRDs applies the CRDs of the build in bin and waits until they are established.
func ApplyCRDs(ctx context.Context, cluster *kubetest.Cluster, bin string) error {
	files, err := filepath.Glob(filepath.Join(bin, "crds", "*.yaml"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no cert-manager CRDs in %s (run `make cert-manager`): %v", bin, err)
	}
	var all bytes.Buffer
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("read CRD: %w", err)
		}
		all.WriteString("\n---\n")
		all.Write(b)
	}
	if _, err := cluster.Apply(ctx, all.Bytes()); err != nil {
		return fmt.Errorf("apply cert-manager CRDs: %w", err)
	}
	return nil
}

func ensureNamespace(ctx context.Context, cluster *kubetest.Cluster, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	_, err := cluster.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	return nil
}

// waitReady waits for the ready file that cert-manager writes once its informers have synced.
func (cm *CertManager) waitReady(ctx context.Context, path string) error {
	err := poll(ctx, "cert-manager's informers to sync", func(context.Context) error {
		_, err := os.Stat(path)
		return err
	}, cm.proc)
	var exited *childproc.ExitError
	if err != nil && !errors.As(err, &exited) { // still running but not synced in time: say why
		return fmt.Errorf("%w; its log:\n%s", err, cm.proc.LogTail(4096))
	}
	return err
}
