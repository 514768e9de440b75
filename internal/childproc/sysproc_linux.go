package childproc

import "syscall"

// sysProcAttr makes the kernel kill the child when the process that started it dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
