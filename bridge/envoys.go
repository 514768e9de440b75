package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gatebridge/gatebridge/envoyxds"
	"github.com/gatebridge/gatebridge/internal/envoyproc"
)

// LocalEnvoys make the controller start one Envoy per fleet on this machine and keep it running
// (local mode: no Deployments, the Envoys bind the fleets' pool addresses directly).
type LocalEnvoys struct {
	// Binary is the Envoy executable (default: envoyproc.Binary()).
	Binary string
	// Dir holds one folder per fleet (bootstrap and log).
	Dir string
	// Delta makes the Envoys use incremental ADS.
	Delta bool
	// LogLevel is the Envoys' log level (default warning).
	LogLevel string
}

// supervisor runs the local Envoys: one per fleet being served, restarted when it exits, stopped when
// its fleet goes away.
type supervisor struct {
	opts LocalEnvoys
	xds  string
	log  *slog.Logger

	mu     sync.Mutex
	fleets map[string]context.CancelFunc
	pids   map[string]int // by fleet, of the running Envoy
	wg     sync.WaitGroup
}

// newSupervisor supervises Envoys; set xds (the address they dial) before the first ensure.
func newSupervisor(opts LocalEnvoys, log *slog.Logger) *supervisor {
	return &supervisor{opts: opts, log: log, fleets: map[string]context.CancelFunc{}, pids: map[string]int{}}
}

// dialable turns a listening address into one a local Envoy can connect to.
func dialable(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// ensure runs an Envoy for each fleet of fleets and stops the others. Envoys stop when ctx ends.
func (s *supervisor) ensure(ctx context.Context, fleets []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := map[string]bool{}
	for _, f := range fleets {
		want[f] = true
		if _, running := s.fleets[f]; running {
			continue
		}
		fctx, cancel := context.WithCancel(ctx)
		s.fleets[f] = cancel
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.run(fctx, f)
		}()
	}
	for f, cancel := range s.fleets {
		if !want[f] {
			cancel()
			delete(s.fleets, f)
		}
	}
}

// wait returns once every Envoy has stopped (after ctx of ensure ended).
func (s *supervisor) wait() { s.wg.Wait() }

// run keeps the Envoy of one fleet running until ctx ends, restarting it with a growing delay (up to
// 30 s) when it exits.
func (s *supervisor) run(ctx context.Context, fleet string) {
	backoff := time.Second
	for ctx.Err() == nil {
		began := time.Now()
		p, err := s.start(fleet)
		if err == nil {
			s.log.Info("local envoy started", "fleet", fleet, "pid", p.Pid())
			s.setPID(fleet, p.Pid())
			select {
			case <-ctx.Done():
				p.Stop()
				s.setPID(fleet, 0)
				s.log.Info("local envoy stopped", "fleet", fleet)
				return
			case <-p.Done():
				s.setPID(fleet, 0)
				err = fmt.Errorf("exited; its log ends: %s", p.LogTail(600))
			}
		}
		if time.Since(began) > time.Minute {
			backoff = time.Second // it ran well for a while: restart soon
		}
		s.log.Error("local envoy", "fleet", fleet, "error", err, "restartIn", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (s *supervisor) setPID(fleet string, pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pid == 0 {
		delete(s.pids, fleet)
	} else {
		s.pids[fleet] = pid
	}
}

// running returns, by fleet, the process id of each running Envoy.
func (s *supervisor) running() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.pids)
}

func (s *supervisor) start(fleet string) (*envoyproc.Process, error) {
	dir := filepath.Join(s.opts.Dir, fleet)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("envoy folder: %w", err)
	}
	return envoyproc.Start(envoyproc.Options{
		Binary:   s.opts.Binary,
		Dir:      dir,
		LogLevel: s.opts.LogLevel,
		Bootstrap: envoyxds.BootstrapOptions{
			Fleet: fleet, NodeID: fleet + "-local", XDS: s.xds, Delta: s.opts.Delta,
		},
	})
}
