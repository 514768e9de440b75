package kubelet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Restarts of a process that exited wait from restartMin, doubling up to restartMax.
const (
	restartMin = 500 * time.Millisecond
	restartMax = 10 * time.Second
)

// podRun is one pod being run: its process's log, and how to stop it.
type podRun struct {
	uid       types.UID
	container string
	log       *containerLog
	cancel    context.CancelFunc
	done      chan struct{}
}

// runPod runs a pod until ctx ends. A pod it cannot run stays Pending with the reason in the status of
// its container.
func (k *Kubelet) runPod(ctx context.Context, pod *corev1.Pod, run *podRun) {
	key := pod.Namespace + "/" + pod.Name
	c, err := checkPod(pod)
	if err != nil {
		k.opts.Log.Warn("pod left pending", "pod", key, "err", err)
		k.report(ctx, pod, podState{reason: "Unsupported", message: err.Error()})
		return
	}
	ip, err := k.ips.take()
	if err != nil {
		k.report(ctx, pod, podState{reason: "NoPodAddress", message: err.Error()})
		return
	}
	dir := filepath.Join(k.opts.Dir, pod.Namespace+"_"+pod.Name+"_"+string(pod.UID))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		k.report(ctx, pod, podState{reason: "CreateContainerError", message: err.Error()})
		return
	}
	env, err := k.prepare(ctx, pod, c, ip, dir)
	if err != nil {
		if ctx.Err() == nil {
			k.opts.Log.Warn("pod left pending", "pod", key, "err", err)
			k.report(ctx, pod, podState{reason: "CreateContainerConfigError", message: err.Error()})
		}
		return
	}
	logFile, err := os.Create(filepath.Join(dir, "container.log"))
	if err == nil {
		defer logFile.Close()
		run.log.mu.Lock()
		run.log.file = logFile
		run.log.mu.Unlock()
	}
	k.opts.Log.Info("pod starting", "pod", key, "ip", ip, "image", c.Image)
	if imageName(c.Image) == corednsImage {
		k.runDNSStandIn(ctx, pod, ip, run)
		return
	}
	k.runEcho(ctx, pod, c, ip, env, dir, run)
}

// checkPod returns the one container of pod, or why this kubelet cannot run it.
func checkPod(pod *corev1.Pod) (*corev1.Container, error) {
	if len(pod.Spec.Containers) != 1 || len(pod.Spec.InitContainers) > 0 {
		return nil, fmt.Errorf("pods of more than one container are %w", errUnsupported)
	}
	c := &pod.Spec.Containers[0]
	if img := imageName(c.Image); img != echoImage && img != corednsImage {
		return nil, fmt.Errorf("image %s is %w (only %s and %s)", c.Image, errUnsupported, echoImage, corednsImage)
	}
	if err := checkVolumes(pod); err != nil {
		return nil, err
	}
	return c, nil
}

// prepare writes the pod's volumes and resolves its container's environment, waiting for what does not
// exist yet and saying so in the pod's status.
func (k *Kubelet) prepare(ctx context.Context, pod *corev1.Pod, c *corev1.Container, ip netip.Addr, dir string) (map[string]string, error) {
	volumes := filepath.Join(dir, "volumes")
	reported := ""
	for {
		err := k.writeVolumes(ctx, pod, volumes)
		var env map[string]string
		if err == nil {
			env, err = k.containerEnv(ctx, pod, c, ip, volumes)
		}
		if err == nil {
			return env, nil
		}
		if !errors.Is(err, errNotYet) {
			return nil, err
		}
		if msg := err.Error(); msg != reported {
			reported = msg
			k.report(ctx, pod, podState{reason: "ContainerCreating", message: "waiting for " + msg})
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// runEcho runs echo-basic for the pod until ctx ends, restarting it when it exits. Each port it would
// listen on becomes a private port, and the pod's address and container port are forwarded to it:
// echo-basic binds the wildcard address, so two pods could not both listen on port 3000 otherwise.
func (k *Kubelet) runEcho(ctx context.Context, pod *corev1.Pod, c *corev1.Container, ip netip.Addr, env map[string]string, dir string, run *podRun) {
	private, stop, err := k.forwardPorts(ip, env)
	if err != nil {
		k.report(ctx, pod, podState{reason: "CreateContainerError", message: err.Error()})
		return
	}
	defer stop()
	st := podState{running: true, ip: ip, started: time.Now()}
	for backoff := restartMin; ; backoff = min(2*backoff, restartMax) {
		p, err := startProcess(k.opts.EchoBinary, env, dir, run.log)
		if err != nil {
			k.report(ctx, pod, podState{reason: "StartError", message: err.Error()})
			return
		}
		if k.superviseUntilExit(ctx, pod, p, private, &st) {
			return
		}
		st.ready, st.restarts = false, st.restarts+1
		k.report(ctx, pod, st)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
}

// superviseUntilExit reports the pod Ready once every private port answers and returns when the
// process exits (false) or ctx ends, stopping it (true).
func (k *Kubelet) superviseUntilExit(ctx context.Context, pod *corev1.Pod, p *process, private []int, st *podState) bool {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			p.stop()
			return true
		case err := <-p.exited:
			k.opts.Log.Warn("pod process exited", "pod", pod.Namespace+"/"+pod.Name, "err", err)
			return false
		case <-tick.C:
			if !st.ready && portsAnswer(private) {
				st.ready = true
				k.report(ctx, pod, *st)
				k.opts.Log.Info("pod ready", "pod", pod.Namespace+"/"+pod.Name, "ip", st.ip)
			}
		}
	}
}

// forwardPorts gives every port echo-basic would listen on with env a private port (changing env to
// say so) and forwards ip:containerPort to it. stop ends the forwarding and frees the ports.
func (k *Kubelet) forwardPorts(ip netip.Addr, env map[string]string) (private []int, stop func(), err error) {
	ports, err := echoPorts(env)
	if err != nil {
		return nil, nil, err
	}
	var fws []*forwarder
	stop = func() {
		for _, f := range fws {
			f.close()
		}
		k.ports.release(private...)
	}
	for _, p := range ports {
		cp, err := p.containerPort(env)
		if err != nil {
			stop()
			return nil, nil, err
		}
		port, err := k.ports.take()
		if err != nil {
			stop()
			return nil, nil, err
		}
		private = append(private, port)
		env[p.env] = strconv.Itoa(port)
		f, err := startForwarder(net.JoinHostPort(ip.String(), strconv.Itoa(cp)), net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			stop()
			return nil, nil, err
		}
		fws = append(fws, f)
	}
	return private, stop, nil
}

// portsAnswer reports whether every port of 127.0.0.1 accepts a connection.
func portsAnswer(ports []int) bool {
	for _, p := range ports {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), time.Second)
		if err != nil {
			return false
		}
		c.Close()
	}
	return true
}
