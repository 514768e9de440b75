package cmtest

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatebridge/gatebridge/internal/childproc"
)

// stopGrace is how long a process gets between SIGTERM and SIGKILL.
const stopGrace = 5 * time.Second

// startProcess runs binDir/name with args and env added to the test's environment, its output into
// logDir/<name>.log.
func startProcess(name, binDir, logDir string, args, env []string) (*childproc.Process, error) {
	return childproc.Start(name, filepath.Join(binDir, name), args, env, filepath.Join(logDir, name+".log"))
}

// logOnFailure stops p when the test ends and, if it failed, logs the end of p's output.
func logOnFailure(t testing.TB, p *childproc.Process) {
	t.Cleanup(func() {
		p.Stop(stopGrace)
		if t.Failed() {
			t.Logf("===== %s log (%s) =====\n%s", p.Name, p.LogPath, p.LogTail(16<<10))
		}
	})
}

// poll calls check every 100 ms until it returns nil, one of procs exits or ctx ends.
func poll(ctx context.Context, what string, check func(context.Context) error, procs ...*childproc.Process) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		for _, p := range procs {
			if exited := p.Exited(); exited != nil {
				return fmt.Errorf("wait for %s: %w", what, exited)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w (last: %w)", what, ctx.Err(), err)
		case <-tick.C:
		}
	}
}
