package kubelet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
)

// leaseRenewal is how often the Node's Lease is renewed, as a real kubelet does.
const leaseRenewal = 10 * time.Second

// Options say what the kubelet runs and where.
type Options struct {
	// Client acts for the kubelet: it needs to write Nodes, Leases, pods, pods/status and pods/binding.
	Client kubernetes.Interface
	// NodeName names the Node; "conformance" when empty.
	NodeName string
	// EchoBinary is the echo-basic program run for every pod of the suite's echo image.
	EchoBinary string
	// Dir holds one folder per pod: its volumes and the log of its process.
	Dir string
	// APIAddress is where the kubelet API (pod logs) listens; "127.0.0.1:10250" when empty. Its host is
	// the Node's InternalIP, the address the API server proxies pods/log to.
	APIAddress string
	// PodNetwork is the range pod addresses are taken from; every address of it must be local.
	PodNetwork netip.Prefix
	// Log receives what the kubelet does; nothing is logged when nil.
	Log *slog.Logger
}

// Kubelet runs the pods bound to its Node.
type Kubelet struct {
	opts   Options
	hostIP string // the Node's InternalIP
	ips    *addressPool
	ports  *portPool

	mu   sync.Mutex
	pods map[string]*podRun // by namespace/name
}

// New returns a kubelet; Run starts it.
func New(opts Options) *Kubelet {
	if opts.NodeName == "" {
		opts.NodeName = "conformance"
	}
	if opts.APIAddress == "" {
		opts.APIAddress = "127.0.0.1:10250"
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	host, _, _ := net.SplitHostPort(opts.APIAddress)
	return &Kubelet{
		opts:   opts,
		hostIP: host,
		ips:    newAddressPool(opts.PodNetwork),
		ports:  newPortPool(20000, 32000),
		pods:   map[string]*podRun{},
	}
}

// Run serves the kubelet API, registers the Node and runs pods until ctx ends; then it stops every
// pod's process.
func (k *Kubelet) Run(ctx context.Context) error {
	lis, err := k.listenAPI()
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: k.apiHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			k.opts.Log.Error("kubelet api stopped", "err", err)
		}
	}()
	defer srv.Close()
	port := lis.Addr().(*net.TCPAddr).Port
	if err := k.registerNode(ctx, port); err != nil {
		return err
	}
	go k.renewLease(ctx)
	err = k.watchPods(ctx)
	k.stopAll()
	return err
}

// listenAPI listens for the kubelet API with a self-signed certificate: the API server does not verify
// a kubelet's certificate unless it is given a CA for it.
func (k *Kubelet) listenAPI() (net.Listener, error) {
	host, _, err := net.SplitHostPort(k.opts.APIAddress)
	if err != nil {
		return nil, fmt.Errorf("kubelet api address %q: %w", k.opts.APIAddress, err)
	}
	cert, err := selfSignedCert(host)
	if err != nil {
		return nil, err
	}
	lis, err := tls.Listen("tcp", k.opts.APIAddress, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, fmt.Errorf("listen for the kubelet api: %w", err)
	}
	return lis, nil
}

// registerNode creates the Node (or takes over one of the same name) and reports it Ready, reachable at
// the kubelet API's address.
func (k *Kubelet) registerNode(ctx context.Context, port int) error {
	nodes := k.opts.Client.CoreV1().Nodes()
	node, err := nodes.Get(ctx, k.opts.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		node, err = nodes.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{
			Name:   k.opts.NodeName,
			Labels: map[string]string{corev1.LabelHostname: k.opts.NodeName, corev1.LabelOSStable: "linux"},
		}}, metav1.CreateOptions{})
	}
	if err != nil {
		return fmt.Errorf("register node %s: %w", k.opts.NodeName, err)
	}
	now := metav1.Now()
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("500"),
	}
	node.Status = corev1.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity,
		Phase:       corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "conformance kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now,
		}},
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: k.hostIP},
			{Type: corev1.NodeHostName, Address: k.opts.NodeName},
		},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(port)}},
		NodeInfo:        corev1.NodeSystemInfo{OperatingSystem: "linux", Architecture: "amd64", KubeletVersion: "conformance"},
	}
	if _, err := nodes.UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("report node %s ready: %w", k.opts.NodeName, err)
	}
	k.opts.Log.Info("node registered", "node", k.opts.NodeName, "kubeletPort", port)
	return nil
}

// renewLease keeps the Node's Lease in kube-node-lease fresh, as the node lifecycle expects of a live
// kubelet.
func (k *Kubelet) renewLease(ctx context.Context) {
	leases := k.opts.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	tick := time.NewTicker(leaseRenewal)
	defer tick.Stop()
	for {
		if err := k.renewOnce(ctx, leases); err != nil && ctx.Err() == nil {
			k.opts.Log.Error("renew node lease", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (k *Kubelet) renewOnce(ctx context.Context, leases coordinationv1client.LeaseInterface) error {
	now := metav1.NewMicroTime(time.Now())
	duration := int32(40)
	lease, err := leases.Get(ctx, k.opts.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: k.opts.NodeName},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity: &k.opts.NodeName, LeaseDurationSeconds: &duration, RenewTime: &now,
			},
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	lease.Spec.HolderIdentity, lease.Spec.LeaseDurationSeconds, lease.Spec.RenewTime = &k.opts.NodeName, &duration, &now
	_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	return err
}
