package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gatebridge/gatebridge/conformance/kubelet"
	"github.com/gatebridge/gatebridge/internal/childproc"
	"github.com/gatebridge/gatebridge/internal/kubetest"
	gatewayapicrds "github.com/gatebridge/gatebridge/manifests/crds/gateway-api"
)

// gatewayClass is the GatewayClass the suite runs against, served by gatebridge's default controller
// name.
const gatewayClass = "gatebridge"

var gatewayClassManifest = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: ` + gatewayClass + `}
spec: {controllerName: gatebridge.dev/gateway-controller}
`

// controllers are the kube-controller-manager controllers of the run: the suite's backends are
// Deployments.
var controllers = append([]string{"deployment-controller", "replicaset-controller"}, kubetest.DefaultControllers...)

// environment is what runs for the suite.
type environment struct {
	cluster     *kubetest.Cluster
	stopKubelet context.CancelFunc
	kubeletDone chan struct{}
	gatebridge  *childproc.Process
}

// startEnvironment starts the control plane, installs the CRDs and the GatewayClass, and starts the
// kubelet and gatebridge. On error the returned environment, when not nil, holds what was started.
func startEnvironment(ctx context.Context, c config, log *slog.Logger) (*environment, error) {
	bin, err := kubetest.BinDir()
	if err != nil {
		return nil, err
	}
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cluster, err := kubetest.StartContext(startCtx, bin, filepath.Join(c.work, "cluster"), kubetest.Options{
		ControllerManager: true,
		Controllers:       controllers,
		// pods/log goes to the kubelet at the Node's InternalIP.
		APIServerArgs: []string{"--kubelet-preferred-address-types=InternalIP"},
	})
	env := &environment{cluster: cluster}
	if err != nil {
		return env, fmt.Errorf("start the control plane: %w", err)
	}
	log.Info("control plane ready", "kubeconfig", cluster.Kubeconfig, "logs", cluster.LogDir)
	// The experimental channel, for the retry, port matching and mixed TLS tests. Its
	// ValidatingAdmissionPolicy only refuses experimental CRDs over standard ones and versions before
	// v1.5, and nothing writes a CRD after this.
	crds, err := gatewayapicrds.Bundle(gatewayapicrds.Experimental)
	if err != nil {
		return env, err
	}
	if _, err := cluster.Apply(startCtx, append(crds, []byte("---\n"+gatewayClassManifest)...)); err != nil {
		return env, fmt.Errorf("install the gateway api crds and the gatewayclass: %w", err)
	}
	if err := env.startKubelet(ctx, c, log); err != nil {
		return env, err
	}
	if err := env.startGatebridge(c); err != nil {
		return env, err
	}
	return env, waitGatewayClass(startCtx, cluster)
}

func (e *environment) startKubelet(ctx context.Context, c config, log *slog.Logger) error {
	client, err := e.cluster.NewClient()
	if err != nil {
		return err
	}
	k := kubelet.New(kubelet.Options{
		Client:     client,
		EchoBinary: c.echoBasic,
		Dir:        filepath.Join(c.work, "pods"),
		PodNetwork: netip.MustParsePrefix(podNetwork),
		Log:        log.With("component", "kubelet"),
	})
	kctx, cancel := context.WithCancel(ctx)
	e.stopKubelet, e.kubeletDone = cancel, make(chan struct{})
	go func() {
		defer close(e.kubeletDone)
		if err := k.Run(kctx); err != nil {
			log.Error("kubelet stopped", "err", err)
		}
	}()
	return nil
}

// startGatebridge runs the controller in local mode: every Gateway gets an address of the pool and an
// Envoy of its own binding it. Its own ports stay on 127.0.0.1, away from the Gateways' ports.
func (e *environment) startGatebridge(c config) error {
	p, err := childproc.Start("gatebridge", c.gatebridge, []string{"controller",
		"--kubeconfig", e.cluster.Kubeconfig,
		"--address-pool", gatewayPool,
		"--local-envoys", "--envoy", c.envoy, "--envoy-dir", filepath.Join(c.work, "envoys"),
		"--xds", "127.0.0.1:18000", "--metrics-address", "127.0.0.1:18002", "--debug-address", "127.0.0.1:18001"},
		nil, filepath.Join(c.work, "gatebridge.log"))
	if err != nil {
		return err
	}
	e.gatebridge = p
	return nil
}

// waitGatewayClass waits until gatebridge has accepted the GatewayClass.
func waitGatewayClass(ctx context.Context, cluster *kubetest.Cluster) error {
	gw, err := gwclient.NewForConfig(cluster.RESTConfig())
	if err != nil {
		return fmt.Errorf("gateway api client: %w", err)
	}
	for {
		gc, err := gw.GatewayV1().GatewayClasses().Get(ctx, gatewayClass, metav1.GetOptions{})
		if err == nil && apimeta.IsStatusConditionTrue(gc.Status.Conditions, "Accepted") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for gatewayclass %s to be accepted: %w", gatewayClass, errors.Join(ctx.Err(), err))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stop stops gatebridge (which stops its Envoys), the kubelet (which stops the pods' processes) and the
// control plane.
func (e *environment) stop() {
	if e.gatebridge != nil {
		e.gatebridge.Stop(10 * time.Second)
	}
	if e.stopKubelet != nil {
		e.stopKubelet()
		<-e.kubeletDone
	}
	if e.cluster != nil {
		e.cluster.Stop()
	}
}
