package cmtest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/internal/kubetest"
)

// DefaultClusterResourceNamespace holds the CA Secrets of ClusterIssuers when Options leave it empty.
const DefaultClusterResourceNamespace = "cert-manager"

// stopGrace is how long cert-manager gets between SIGTERM and SIGKILL.
const stopGrace = 5 * time.Second

// Options says how to run cert-manager.
type Options struct {
	// GatewayAPI runs the gateway-shim and HTTP-01 solving through HTTPRoutes (--enable-gateway-api).
	// The Gateway API CRDs must be applied before Start: cert-manager refuses to start without them.
	GatewayAPI bool
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
	cmd     *exec.Cmd
	done    chan struct{}
	err     error // set before done is closed
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
		t.Cleanup(func() {
			cm.Stop()
			if t.Failed() {
				t.Logf("===== cert-manager log (%s) =====\n%s", cm.LogPath, cm.LogTail(16<<10))
			}
		})
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
	if opts.GatewayAPI {
		args = append(args, "--enable-gateway-api")
	}
	if len(opts.ACMENameservers) > 0 {
		args = append(args, "--acme-http01-solver-nameservers="+strings.Join(opts.ACMENameservers, ","))
	}
	cm := &CertManager{ClusterResourceNamespace: ns, LogPath: filepath.Join(dir, "cert-manager.log"), cluster: cluster}
	if err := cm.start(filepath.Join(bin, runnerBin), append(args, opts.Args...)); err != nil {
		return nil, err
	}
	return cm, cm.waitReady(ctx, ready)
}

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

func (cm *CertManager) start(bin string, args []string) error {
	f, err := os.OpenFile(cm.LogPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("open cert-manager log: %w", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start cert-manager: %w", err)
	}
	cm.cmd, cm.done = cmd, make(chan struct{})
	go func() {
		cm.err = cmd.Wait()
		f.Close()
		close(cm.done)
	}()
	return nil
}

// waitReady waits for the ready file that cert-manager writes once its informers have synced.
func (cm *CertManager) waitReady(ctx context.Context, path string) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		if err := cm.Exited(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for cert-manager's informers to sync: %w; its log:\n%s", ctx.Err(), cm.LogTail(4096))
		case <-tick.C:
		}
	}
}

// Exited returns an error when cert-manager is no longer running, nil while it runs.
func (cm *CertManager) Exited() error {
	select {
	case <-cm.done:
		return fmt.Errorf("cert-manager exited (%v); its log:\n%s", cm.err, cm.LogTail(4096))
	default:
		return nil
	}
}

// Stop sends SIGTERM, then SIGKILL after a grace period, and waits for cert-manager to end. It is safe
// to call more than once.
func (cm *CertManager) Stop() {
	select {
	case <-cm.done:
		return
	default:
	}
	_ = cm.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-cm.done:
	case <-time.After(stopGrace):
		_ = cm.cmd.Process.Kill()
		<-cm.done
	}
}

// LogTail returns at most the last limit bytes of cert-manager's output.
func (cm *CertManager) LogTail(limit int64) string {
	f, err := os.Open(cm.LogPath)
	if err != nil {
		return fmt.Sprintf("(read log: %v)", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(read log: %v)", err)
	}
	off := max(st.Size()-limit, 0)
	b, err := io.ReadAll(io.NewSectionReader(f, off, st.Size()-off))
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Sprintf("(read log: %v)", err)
	}
	if off > 0 {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
		return "[...]\n" + string(b)
	}
	return string(b)
}
