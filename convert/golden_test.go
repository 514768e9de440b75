package convert

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/gatebridge/gatebridge/internal/golden"
	"github.com/gatebridge/gatebridge/model"
)

var update = flag.Bool("update", false, "rewrite the golden files of convert/testdata")

// goldenNow stamps conditions in golden files.
var goldenNow = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

// goldenOptions reads <case>.options.yaml when it exists.
func goldenOptions(t *testing.T, base string) Options {
	t.Helper()
	opts := Options{Now: goldenNow}
	b, err := os.ReadFile(base + ".options.yaml")
	if os.IsNotExist(err) {
		return opts
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, &opts); err != nil {
		t.Fatalf("%s.options.yaml: %v", base, err)
	}
	opts.Now = goldenNow
	return opts
}

// renderResult prints a result the way golden files hold it: the model (with backend Services) and,
// separately, status and notes.
func renderResult(t *testing.T, res Result) (out, status []byte) {
	t.Helper()
	docs, err := res.Snapshot.Documents(model.PrintOptions{Services: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err = model.YAML(docs)
	if err != nil {
		t.Fatal(err)
	}
	status, err = yaml.Marshal(map[string]any{"status": res.StatusList(), "notes": res.Notes})
	if err != nil {
		t.Fatal(err)
	}
	return out, status
}

func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 40 {
		t.Errorf("found %d golden cases, want at least 40", len(cases))
	}
	for _, in := range cases {
		base := strings.TrimSuffix(in, ".in.yaml")
		t.Run(filepath.Base(base), func(t *testing.T) {
			input, err := LoadPaths("default", in)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			pristine, _ := LoadPaths("default", in)
			res := Translate(input, goldenOptions(t, base))
			// Standalone mode translates the same decoded objects again after each edit.
			if !reflect.DeepEqual(input, pristine) {
				t.Error("Translate changed its Input")
			}
			out, status := renderResult(t, res)
			again, _ := renderResult(t, Translate(input, goldenOptions(t, base)))
			if !bytes.Equal(out, again) {
				t.Fatalf("translation is not deterministic")
			}
			compareGolden(t, base+".out.yaml", out)
			compareGolden(t, base+".status.yaml", status)
		})
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	golden.Compare(t, path, got, *update)
}
