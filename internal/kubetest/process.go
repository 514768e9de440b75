package kubetest

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatebridge/gatebridge/internal/childproc"
)

// errAddrInUse tells that a process could not bind a port found free: another process took it between
// the check and the bind. Start tries again with new ports.
var errAddrInUse = errors.New("address already in use")

// stopGrace is how long a process gets between SIGTERM and SIGKILL. kube-apiserver's graceful
// shutdown can hang once etcd is gone, so it is kept short.
const stopGrace = 2 * time.Second

// startProcess runs bin with args, stdout and stderr into logDir/<name>.log.
func startProcess(name, bin string, args []string, logDir string) (*childproc.Process, error) {
	return childproc.Start(name, bin, args, nil, filepath.Join(logDir, name+".log"))
}

// exitErr returns an error when the process has already exited, nil while it runs; it wraps
// errAddrInUse when the process's log tells that a port was taken.
func exitErr(p *childproc.Process) error {
	err := p.Exited()
	var exited *childproc.ExitError
	if errors.As(err, &exited) && strings.Contains(exited.LogTail, "address already in use") {
		return fmt.Errorf("%w: %w", err, errAddrInUse)
	}
	return err
}
