//go:build !linux

package cmtest

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
