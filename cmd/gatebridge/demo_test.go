package main

import (
	"strings"
	"testing"
)

func TestDemoUsageErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"port out of range", []string{"demo", "--http-port", "70000"}, 1, "want a port from 1 to 65535"},
		{"zero port", []string{"demo", "--admin-port", "0"}, 1, "--admin-port 0"},
		{"extra argument", []string{"demo", "extra"}, 2, "usage: gatebridge demo"},
		{"unknown flag", []string{"demo", "--frobnicate"}, 2, "frobnicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, tt.code, tt.stderr)
			}
		})
	}
}
