package kubetest

import (
	"errors"
	"os/exec"
	"testing"
)

func TestProcessExitAddrInUse(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, tt := range []struct {
		script    string
		addrInUse bool
	}{
		{"echo 'listen tcp 127.0.0.1:1234: bind: address already in use'; exit 1", true},
		{"echo 'something else'; exit 1", false},
	} {
		p, err := startProcess("shell", sh, []string{"-c", tt.script}, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		<-p.Done()
		err = exitErr(p)
		if err == nil || errors.Is(err, errAddrInUse) != tt.addrInUse {
			t.Errorf("%q: exit error %v, want one wrapping %v: %v", tt.script, err, errAddrInUse, tt.addrInUse)
		}
	}
}
