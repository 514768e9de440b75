// Package childproc runs a program in the background with its output in a log file, tells when it has
// exited, stops it and reads the end of its log: for Envoy and for the binaries of the tests.
package childproc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a program started by Start.
type Process struct {
	// Name names the program in errors and logs.
	Name string
	// LogPath is the file that gets the program's stdout and stderr.
	LogPath string

	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done is closed
}

// Start runs bin with args and env added to this process's environment, its stdout and stderr
// truncating logPath. The kernel kills the program when this process dies (on Linux), so that a
// panic or a test's -timeout leaves nothing behind.
func Start(name, bin string, args, env []string, logPath string) (*Process, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process id of the program.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed once the program has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// ExitError tells that a program has exited, with the end of its log.
type ExitError struct {
	Name string
	// Err is what waiting for the program returned (nil for a zero exit status).
	Err error
	// LogTail is the end of the program's log.
	LogTail string
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("%s exited (%v); its log:\n%s", e.Name, e.Err, e.LogTail)
}

func (e *ExitError) Unwrap() error { return e.Err }

// Exited returns an *ExitError when the program has exited, nil while it runs.
func (p *Process) Exited() error {
	select {
	case <-p.done:
		return &ExitError{Name: p.Name, Err: p.err, LogTail: p.LogTail(4096)}
	default:
		return nil
	}
}

// Stop sends SIGTERM, then SIGKILL once grace has gone by (at once when grace is zero), and waits for
// the program to end. It is safe to call more than once.
func (p *Process) Stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	if grace > 0 {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
			return
		case <-time.After(grace):
		}
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// LogTail returns at most the last limit bytes of the program's log, from a line start where possible.
func (p *Process) LogTail(limit int64) string {
	f, err := os.Open(p.LogPath)
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

// FreePorts returns n distinct TCP ports free on 127.0.0.1 at the time of the call, for a program to
// bind later. They are taken below the kernel's ephemeral range, which it hands to every listener and
// client that asks for port 0: a port from the ephemeral range, once released, could be given to such a
// socket of this or another process before the program binds it. A process never gets the same port
// twice. Another process calling FreePorts may still pick the same port (rarely, out of thousands).
func FreePorts(n int) ([]int, error) {
	givenMu.Lock()
	defer givenMu.Unlock()
	lo, hi := belowEphemeral()
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries > 10*(hi-lo) {
			return nil, fmt.Errorf("find a free port: none free in %d-%d", lo, hi-1)
		}
		p := lo + rand.IntN(hi-lo)
		if given[p] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue // taken
		}
		l.Close()
		given[p] = true
		ports = append(ports, p)
	}
	return ports, nil
}

var (
	givenMu sync.Mutex
	given   = map[int]bool{} // ports FreePorts returned in this process
)

// belowEphemeral is the range of ports [lo, hi) FreePorts picks from: from 20000 up to the start of the
// kernel's ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range; 32768 when it cannot be read).
func belowEphemeral() (lo, hi int) {
	hi = 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil && v > 21024 {
				hi = v
			}
		}
	}
	return 20000, hi
}
