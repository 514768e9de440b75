package childproc

import (
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func startShell(t *testing.T, script string, env ...string) *Process {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	p, err := Start("shell", sh, []string{"-c", script}, env, filepath.Join(t.TempDir(), "shell.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(0) })
	return p
}

// waitLogged waits until the program has written s to its log.
func waitLogged(t *testing.T, p *Process, s string) {
	t.Helper()
	for !strings.Contains(p.LogTail(100), s) {
		if err := p.Exited(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestExited(t *testing.T) {
	p := startShell(t, `echo "$GREETING"; exit 3`, "GREETING=hello from the child")
	<-p.Done()
	err := p.Exited()
	var exited *ExitError
	if !errors.As(err, &exited) {
		t.Fatalf("Exited() = %v, want an *ExitError", err)
	}
	var status *exec.ExitError
	if !errors.As(err, &status) || status.ExitCode() != 3 {
		t.Errorf("Exited() = %v, want it to wrap exit status 3", err)
	}
	if exited.Name != "shell" || exited.LogTail != "hello from the child\n" {
		t.Errorf("Exited() tells name %q and log %q, want shell and the child's output", exited.Name, exited.LogTail)
	}

	p = startShell(t, "echo ready; while :; do sleep 1; done")
	waitLogged(t, p, "ready")
	if err := p.Exited(); err != nil {
		t.Errorf("Exited() of a running program = %v, want nil", err)
	}
}

func TestLogTail(t *testing.T) {
	p := startShell(t, "printf 'first line\\nsecond line\\nthird\\n'")
	<-p.Done()
	for _, tt := range []struct {
		limit int64
		want  string
	}{
		{100, "first line\nsecond line\nthird\n"},
		{15, "[...]\nthird\n"}, // "e\nsecond line\nthird\n" cut to a line start
		{3, "[...]\n"},
	} {
		if got := p.LogTail(tt.limit); got != tt.want {
			t.Errorf("LogTail(%d) = %q, want %q", tt.limit, got, tt.want)
		}
	}
}

func TestStopKillsAfterGrace(t *testing.T) {
	const grace = 500 * time.Millisecond
	p := startShell(t, "trap '' TERM; echo ready; while :; do sleep 1; done")
	waitLogged(t, p, "ready") // signal only once the trap is set
	start := time.Now()
	p.Stop(grace)
	if d := time.Since(start); d < grace {
		t.Errorf("a program ignoring SIGTERM stopped after %v, before the grace of %v", d, grace)
	}
	if p.Exited() == nil {
		t.Error("the program runs after Stop")
	}
	p.Stop(grace) // a second stop returns at once
}

func TestStopTerminates(t *testing.T) {
	p := startShell(t, "echo ready; while :; do sleep 1; done")
	waitLogged(t, p, "ready")
	p.Stop(time.Minute)
	var status *exec.ExitError
	if err := p.Exited(); !errors.As(err, &status) || status.String() != "signal: terminated" {
		t.Errorf("after Stop, Exited() = %v, want the program ended by SIGTERM", err)
	}
}

func TestFreePorts(t *testing.T) {
	ports, err := FreePorts(5)
	if err != nil {
		t.Fatal(err)
	}
	if len(ports) != 5 {
		t.Errorf("FreePorts(5) = %v, want 5 ports", ports)
	}
	// A second call never repeats a port of the first, and every port is below the ephemeral range,
	// where no listener of port 0 can be given it.
	more, err := FreePorts(200)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := belowEphemeral()
	seen := map[int]bool{}
	for _, p := range append(slices.Clone(ports), more...) {
		if seen[p] {
			t.Errorf("port %d given twice", p)
		}
		seen[p] = true
		if p < lo || p >= hi {
			t.Errorf("port %d outside %d-%d", p, lo, hi-1)
		}
	}
	seen = map[int]bool{}
	for _, p := range ports {
		if seen[p] {
			t.Errorf("FreePorts(5) = %v, want 5 distinct ports", ports)
		}
		seen[p] = true
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Errorf("port %d is not free after FreePorts: %v", p, err)
			continue
		}
		l.Close()
	}
}
