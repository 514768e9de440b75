package cmtest

import "syscall"

// sysProcAttr kills cert-manager when the test binary dies (a panic, a -timeout), so that it never
// outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
