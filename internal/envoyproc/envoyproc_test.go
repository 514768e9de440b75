package envoyproc

import (
	"errors"
	"os/exec"
	"testing"
	"time"

	"github.com/gatebridge/gatebridge/envoyxds"
	"github.com/gatebridge/gatebridge/internal/childproc"
	"github.com/gatebridge/gatebridge/internal/eventually"
)

func bootstrapFor(t *testing.T) envoyxds.BootstrapOptions {
	t.Helper()
	ports, err := childproc.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return envoyxds.BootstrapOptions{Fleet: "test", XDS: "127.0.0.1:1", AdminPort: uint32(ports[0])}
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
}

// TestExitIsNoticed runs a program that exits at once in place of Envoy: Running must notice by itself.
func TestExitIsNoticed(t *testing.T) {
	bin, err := exec.LookPath("false")
	if err != nil {
		t.Skip("no false command")
	}
	p, err := Start(Options{Binary: bin, Bootstrap: bootstrapFor(t), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	eventually.Within(t, 10*time.Second, "the exit noticed", func() error {
		if p.Running() {
			return errors.New("an exited process still counts as running")
		}
		return nil
	})
}
