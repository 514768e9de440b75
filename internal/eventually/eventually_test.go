package eventually

import (
	"errors"
	"testing"
	"time"
)

func TestWithinPassesOnceCheckDoes(t *testing.T) {
	calls := 0
	Within(t, 5*time.Second, "third call", func() error {
		if calls++; calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if calls != 3 {
		t.Errorf("check ran %d times, want 3", calls)
	}
}

// recorder catches the failure Within reports.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = format
	panic(r)
}

func TestWithinFailsAfterTheDeadline(t *testing.T) {
	r := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != r {
				panic(p)
			}
		}()
		Within(r, 50*time.Millisecond, "never", func() error { return errors.New("still no") })
	}()
	if r.failed == "" {
		t.Error("Within did not fail a check that never passes")
	}
}
