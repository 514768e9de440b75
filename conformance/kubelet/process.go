package kubelet

import (
	"fmt"
	"io"
	"os/exec"
	"sort"
	"syscall"
	"time"
)

// process is a running pod process.
type process struct {
	cmd    *exec.Cmd
	exited chan error
}

// startProcess starts bin with exactly env (plus nothing of the kubelet's own environment), in dir,
// its output going to out.
func startProcess(bin string, env map[string]string, dir string, out io.Writer) (*process, error) {
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	keys := make([]string, 0, len(env))
	for key := range env {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		cmd.Env = append(cmd.Env, key+"="+env[key])
	}
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &process{cmd: cmd, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait() }()
	return p, nil
}

// stop ends the process: SIGTERM, then SIGKILL after 2 s, as a short termination grace period.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return
	case <-time.After(2 * time.Second):
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}
