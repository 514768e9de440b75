package migrate

import (
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/internal/golden"
	"github.com/gatebridge/gatebridge/model"
)

var update = flag.Bool("update", false, "rewrite the golden files of migrate/testdata")

// corpusCases are the golden cases: testdata/<case>.in.yaml.
func corpusCases(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	var out []string
	for _, f := range files {
		out = append(out, strings.TrimSuffix(f, ".in.yaml"))
	}
	return out
}

func loadCase(t *testing.T, base string) convert.Input {
	t.Helper()
	in, err := convert.LoadPaths("default", base+".in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// migrateYAML migrates in and returns the resources as YAML with the result.
func migrateYAML(t *testing.T, in convert.Input, opts Options) ([]byte, Result) {
	t.Helper()
	res, err := Migrate(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := model.YAML(res.Objects)
	if err != nil {
		t.Fatal(err)
	}
	return out, res
}

// TestGolden migrates each case to both formats and compares the resources and the reports (text and
// JSON) with the golden files.
func TestGolden(t *testing.T) {
	for _, base := range corpusCases(t) {
		t.Run(filepath.Base(base), func(t *testing.T) {
			in := loadCase(t, base)
			for _, format := range []string{FormatGatewayAPI, FormatIstio} {
				out, res := migrateYAML(t, in, Options{Format: format})
				golden.Compare(t, base+"."+format+".yaml", out, *update)
				golden.Compare(t, base+"."+format+".report.txt", []byte(res.Report.Text()), *update)
				js, err := res.Report.JSON()
				if err != nil {
					t.Fatal(err)
				}
				golden.Compare(t, base+"."+format+".report.json", js, *update)
			}
		})
	}
}
