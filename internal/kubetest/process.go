package kubetest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errAddrInUse tells that a process could not bind a port found free: another process took it between
// the check and the bind. Start tries again with new ports.
var errAddrInUse = errors.New("address already in use")

// stopGrace is how long a process gets between SIGTERM and SIGKILL. kube-apiserver's graceful
// shutdown can hang once etcd is gone, so it is kept short.
const stopGrace = 2 * time.Second

// process is one control plane binary running in the background, its output going to a log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	done    chan struct{}
	err     error // set before done is closed
}

// startProcess runs bin with args, stdout and stderr into logDir/<name>.log.
func startProcess(name, bin string, args []string, logDir string) (*process, error) {
	logPath := filepath.Join(logDir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, logFile: f, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// exitErr returns an error when the process has already exited, nil while it runs.
func (p *process) exitErr() error {
	select {
	case <-p.done:
		tail := tailFile(p.logPath, 4096)
		if strings.Contains(tail, "address already in use") {
			return fmt.Errorf("%s exited early (%v): %w; its log:\n%s", p.name, p.err, errAddrInUse, tail)
		}
		return fmt.Errorf("%s exited early (%v); its log:\n%s", p.name, p.err, tail)
	default:
		return nil
	}
}

// stop sends SIGTERM, then SIGKILL after stopGrace, and waits for the process to end.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// tailFile returns at most the last max bytes of a file, from a line start where possible.
func tailFile(path string, max int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(read log: %v)", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(read log: %v)", err)
	}
	off := st.Size() - max
	if off < 0 {
		off = 0
	}
	b, err := io.ReadAll(io.NewSectionReader(f, off, st.Size()-off))
	if err != nil {
		return fmt.Sprintf("(read log: %v)", err)
	}
	if off > 0 {
		for i, c := range b {
			if c == '\n' {
				b = b[i+1:]
				break
			}
		}
		return "[...]\n" + string(b)
	}
	return string(b)
}

// freePorts returns n distinct TCP ports free on 127.0.0.1 at the time of the call.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		_, p, err := net.SplitHostPort(l.Addr().String())
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", l.Addr(), err)
		}
		port, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("parse port %q: %w", p, err)
		}
		ports = append(ports, port)
	}
	return ports, nil
}
