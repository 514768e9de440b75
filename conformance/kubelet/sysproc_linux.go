package kubelet

import "syscall"

// sysProcAttr makes a pod's process die with the kubelet, so that none is left listening.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
