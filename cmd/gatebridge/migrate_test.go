package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMigrateExitCodes checks the documented exit codes: 0 when every setting is carried over exactly,
// 3 when one is approximated, 4 when one is lost, 1 for unreadable input, 2 for a bad command line.
func TestMigrateExitCodes(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: networking.k8s.io/v1\nkind: Ingress\nspec: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"exact", []string{"-f", "../../migrate/testdata/grafana.in.yaml"}, 0},
		{"approximated", []string{"-f", "../../migrate/testdata/shop.in.yaml"}, exitApproximated},
		{"lost", []string{"-f", "../../migrate/testdata/backends.in.yaml"}, exitLost},
		{"unreadable", []string{"-f", bad}, 1},
		{"missing file", []string{"-f", "no-such-file.yaml"}, 1},
		{"no input", nil, 2},
		{"unknown output", []string{"-f", "../../migrate/testdata/grafana.in.yaml", "-o", "xml"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, append([]string{"migrate"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, errOut)
			}
		})
	}
}

// TestMigrateOutputs checks both formats on stdout, the JSON report and --output-dir.
func TestMigrateOutputs(t *testing.T) {
	code, out, errOut := runCLI(t, "migrate", "-f", "../../migrate/testdata/grafana.in.yaml", "--format", "json")
	if code != 0 || !strings.Contains(out, "kind: HTTPRoute") || !strings.Contains(out, "kind: Gateway") {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	var report struct{ Outcome string }
	if err := json.Unmarshal([]byte(errOut), &report); err != nil || report.Outcome != "exact" {
		t.Errorf("report %q: %v", errOut, err)
	}
	code, out, _ = runCLI(t, "migrate", "-f", "../../migrate/testdata/grafana.in.yaml", "-o", "istio")
	if code != 0 || !strings.Contains(out, "kind: VirtualService") || !strings.Contains(out, "kind: Certificate") {
		t.Errorf("istio: exit %d, stdout %q", code, out)
	}
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, "migrate", "-f", "../../migrate/testdata/grafana.in.yaml", "--output-dir", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, f := range []string{"monitoring/httproute-grafana.yaml", "gatebridge-system/gateway-nginx-letsencrypt-prod.yaml", "report.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
