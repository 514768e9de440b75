//go:build !linux

package envoyproc

import "syscall"

func childAttributes() *syscall.SysProcAttr { return nil }
