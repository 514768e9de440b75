// Package golden compares test output with golden files, or rewrites them when asked (-update).
package golden

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Compare checks got against the golden file at path, or writes got there when update is set.
func Compare(t *testing.T, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; rerun with -update and review git diff):\n%s", path, diff)
	}
}
