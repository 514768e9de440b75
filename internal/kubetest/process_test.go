package kubetest

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func startShell(t *testing.T, script string) *process {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	p, err := startProcess("shell", sh, []string{"-c", script}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProcessExitAddrInUse(t *testing.T) {
	p := startShell(t, "echo 'listen tcp 127.0.0.1:1234: bind: address already in use'; exit 1")
	<-p.done
	if err := p.exitErr(); !errors.Is(err, errAddrInUse) {
		t.Errorf("exit error %v, want one wrapping %v", err, errAddrInUse)
	}
	p = startShell(t, "echo 'something else'; exit 1")
	<-p.done
	if err := p.exitErr(); err == nil || errors.Is(err, errAddrInUse) {
		t.Errorf("exit error %v, want a plain one", err)
	}
}

func TestProcessStopKillsAfterGrace(t *testing.T) {
	p := startShell(t, "trap '' TERM; echo ready; while :; do sleep 1; done")
	// Signal only once the trap is set.
	for !strings.Contains(tailFile(p.logPath, 100), "ready") {
		if err := p.exitErr(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	p.stop()
	if d := time.Since(start); d < stopGrace {
		t.Errorf("a process ignoring SIGTERM stopped after %v, before the grace of %v", d, stopGrace)
	}
	p.stop() // a second stop returns at once
}
