// Package eventually retries a check in tests until it passes or time runs out: for what a real Envoy
// or API server does asynchronously.
package eventually

import (
	"testing"
	"time"
)

// Within retries check until it returns nil, and fails the test with check's last error (prefixed by
// what) once within has gone by.
func Within(t testing.TB, within time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	pause := max(within/300, 10*time.Millisecond)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(pause)
	}
}
