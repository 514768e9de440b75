// Package envoyproc finds and runs a real Envoy for a fleet: for the end-to-end tests, the benchmark
// program and `make run`.
package envoyproc

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/gatebridge/gatebridge/envoyxds"
	"github.com/gatebridge/gatebridge/internal/childproc"
)

// ErrNotFound means no Envoy binary was found.
var ErrNotFound = errors.New("no envoy binary: run `make envoy` (it installs Envoy into .venv) or set ENVOY_BIN")

// Binary finds Envoy: $ENVOY_BIN, then .venv/bin/envoy at the root of the enclosing Go module (the
// Makefile installs it there), then PATH.
func Binary() (string, error) {
	if b := os.Getenv("ENVOY_BIN"); b != "" {
		return b, nil
	}
	if dir, err := os.Getwd(); err == nil {
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				b := filepath.Join(dir, ".venv", "bin", "envoy")
				if _, err := os.Stat(b); err == nil {
					return b, nil
				}
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	if b, err := exec.LookPath("envoy"); err == nil {
		return b, nil
	}
	return "", ErrNotFound
}

// Options say which Envoy to start.
type Options struct {
	// Binary is the envoy executable; empty means Binary().
	Binary string
	// Bootstrap is the node and xDS server of the Envoy.
	Bootstrap envoyxds.BootstrapOptions
	// Dir receives bootstrap.json and envoy.log.
	Dir string
	// LogLevel is Envoy's log level (default warning).
	LogLevel string
}

// Process is a running Envoy; its log is in LogPath.
type Process struct {
	*childproc.Process
}

// Start writes the bootstrap of the Envoy and starts it.
func Start(opts Options) (*Process, error) {
	bin := opts.Binary
	if bin == "" {
		var err error
		if bin, err = Binary(); err != nil {
			return nil, err
		}
	}
	bootstrap, err := envoyxds.Bootstrap(opts.Bootstrap)
	if err != nil {
		return nil, err
	}
	bpath := filepath.Join(opts.Dir, "bootstrap.json")
	if err := os.WriteFile(bpath, bootstrap, 0o644); err != nil {
		return nil, fmt.Errorf("write bootstrap: %w", err)
	}
	args := []string{"-c", bpath, "--disable-hot-restart", "-l", cmp.Or(opts.LogLevel, "warning")}
	p, err := childproc.Start("envoy", bin, args, nil, filepath.Join(opts.Dir, "envoy.log"))
	if err != nil {
		return nil, err
	}
	return &Process{p}, nil
}

// Running reports whether the Envoy process is still there.
func (p *Process) Running() bool {
	select {
	case <-p.Done():
		return false
	default:
		return true
	}
}

// Stop kills the Envoy and waits for it.
func (p *Process) Stop() { p.Process.Stop(0) }

// Log returns what the Envoy logged so far.
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.LogPath)
	return string(b)
}
