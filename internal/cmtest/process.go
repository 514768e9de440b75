package cmtest

import (
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
