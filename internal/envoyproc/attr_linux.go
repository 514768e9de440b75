package envoyproc

import "syscall"

// childAttributes make the kernel kill Envoy when the process that started it dies, so that a killed
// gatebridge leaves no Envoy behind holding its ports.
func childAttributes() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
