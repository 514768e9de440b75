package envoyproc

import (
	"errors"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/gatebridge/gatebridge/envoyxds"
)

func bootstrapFor(t *testing.T) envoyxds.BootstrapOptions {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return envoyxds.BootstrapOptions{Fleet: "test", XDS: "127.0.0.1:1", AdminPort: uint32(l.Addr().(*net.TCPAddr).Port)}
}

// TestStartStop starts a real Envoy when one is installed, and checks that Stop ends it and Running
// reports it. Without Envoy (make unit does not install it) there is nothing to start.
func TestStartStop(t *testing.T) {
	if _, err := Binary(); errors.Is(err, ErrNotFound) {
		t.Skip(err)
	}
	p, err := Start(Options{Bootstrap: bootstrapFor(t), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Running() {
		t.Fatalf("Envoy is not running after Start; log:\n%s", p.Log())
	}
	p.Stop()
	if p.Running() {
		t.Fatal("Envoy still running after Stop")
	}
}

// TestExitIsNoticed runs a program that exits at once in place of Envoy: Done must close by itself.
func TestExitIsNoticed(t *testing.T) {
	bin, err := exec.LookPath("false")
	if err != nil {
		t.Skip("no false command")
	}
	p, err := Start(Options{Binary: bin, Bootstrap: bootstrapFor(t), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("an exited process still counts as running")
	}
	if p.Running() {
		t.Error("Running after exit")
	}
}
