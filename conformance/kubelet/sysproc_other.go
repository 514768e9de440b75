//go:build !linux

package kubelet

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
