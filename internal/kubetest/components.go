package kubetest

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/gatebridge/gatebridge/internal/childproc"
)

// serviceClusterIPRange is the range Services get their cluster IPs from.
const serviceClusterIPRange = "10.96.0.0/16"

// startEtcd starts a single-member etcd on two free loopback ports and waits until it is healthy.
func (c *Cluster) startEtcd(ctx context.Context, bin string) (string, error) {
	ports, err := childproc.FreePorts(2)
	if err != nil {
		return "", err
	}
	client := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	args := []string{
		"--name=kubetest",
		"--data-dir=" + filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=kubetest=" + peer,
		"--unsafe-no-fsync",
		"--log-level=warn",
	}
	p, err := startProcess("etcd", filepath.Join(bin, "etcd"), args, c.LogDir)
	if err != nil {
		return "", err
	}
	c.add(p)
	hc := &http.Client{}
	err = c.poll(ctx, "etcd health", func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, client+"/health", nil)
		if err != nil {
			return false, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false, fmt.Errorf("etcd /health: %s", resp.Status)
		}
		return true, nil
	})
	return client, err
}

// apiServerArgs are kube-apiserver's flags: loopback only, no endpoint reconciler (it refuses a
// loopback advertise address otherwise), the static admin token, RBAC.
func apiServerArgs(port int, etcdURL, dir string, creds *credentials) []string {
	return []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + filepath.Join(dir, "apiserver-certs"),
		"--tls-cert-file=" + creds.servingCrt,
		"--tls-private-key-file=" + creds.servingKey,
		"--token-auth-file=" + creds.tokenFile,
		"--authorization-mode=RBAC",
		"--service-account-key-file=" + creds.saPub,
		"--service-account-signing-key-file=" + creds.saKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=" + serviceClusterIPRange,
		"--profiling=false",
	}
}

// startAPIServer starts kube-apiserver on a free loopback port, makes the clients and waits for
// /readyz.
func (c *Cluster) startAPIServer(ctx context.Context, bin, etcdURL string, creds *credentials, extra []string) error {
	ports, err := childproc.FreePorts(1)
	if err != nil {
		return err
	}
	args := append(apiServerArgs(ports[0], etcdURL, c.Dir, creds), extra...)
	p, err := startProcess("kube-apiserver", filepath.Join(bin, "kube-apiserver"), args, c.LogDir)
	if err != nil {
		return err
	}
	c.add(p)
	cfg := &rest.Config{
		Host:            fmt.Sprintf("https://127.0.0.1:%d", ports[0]),
		BearerToken:     creds.token,
		TLSClientConfig: rest.TLSClientConfig{CAData: creds.caPEM, ServerName: serverName},
		QPS:             100,
		Burst:           200,
		UserAgent:       "kubetest",
	}
	if err := c.initClients(cfg); err != nil {
		return err
	}
	c.Kubeconfig = filepath.Join(c.Dir, "kubeconfig")
	if err := writeKubeconfig(c.Kubeconfig, cfg.Host, creds); err != nil {
		return err
	}
	rc := c.Client.Discovery().RESTClient()
	return c.poll(ctx, "kube-apiserver /readyz", func(ctx context.Context) (bool, error) {
		body, err := rc.Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return false, fmt.Errorf("kube-apiserver /readyz: %w", err)
		}
		return strings.TrimSpace(string(body)) == "ok", nil
	})
}

// startControllerManager starts kube-controller-manager with the given controllers. It serves no
// port of its own; when the service account controller runs, the wait ends once it has made the
// default ServiceAccount of namespace default, that is once the controllers have synced.
func (c *Cluster) startControllerManager(ctx context.Context, bin string, controllers []string) error {
	args := []string{
		"--kubeconfig=" + c.Kubeconfig,
		"--controllers=" + strings.Join(controllers, ","),
		"--leader-elect=false",
		"--secure-port=0",
		"--use-service-account-credentials=false",
	}
	p, err := startProcess("kube-controller-manager", filepath.Join(bin, "kube-controller-manager"), args, c.LogDir)
	if err != nil {
		return err
	}
	c.add(p)
	if !slices.Contains(controllers, "serviceaccount-controller") {
		return nil
	}
	c.serviceAccounts = true
	return c.waitServiceAccount(ctx, metav1.NamespaceDefault)
}

// waitServiceAccount waits for the default ServiceAccount of a namespace.
func (c *Cluster) waitServiceAccount(ctx context.Context, ns string) error {
	return c.poll(ctx, "service account "+ns+"/default", func(ctx context.Context) (bool, error) {
		_, err := c.Client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
}
