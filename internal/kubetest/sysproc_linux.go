package kubetest

import "syscall"

// sysProcAttr kills a child when the test binary dies (a panic, a -timeout), so that no etcd or
// kube-apiserver outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
