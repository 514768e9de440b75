package certs_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/gatebridge/gatebridge/certs"
	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files of certs/testdata")

// TestDesiredGolden reads the Ingresses and Gateways of testdata/<case>.in.yaml (and ShimOptions from
// <case>.options.yaml when it exists) and compares the Certificates cert-manager's shims would create
// with <case>.out.yaml, the findings with <case>.findings.yaml.
func TestDesiredGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, in := range cases {
		base := strings.TrimSuffix(in, ".in.yaml")
		t.Run(filepath.Base(base), func(t *testing.T) {
			input, err := convert.LoadPaths("default", in)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			opts := shimOptions(t, base)
			got, findings := certs.Desired(input.Ingresses, input.Gateways, opts)
			out, err := certs.PrintYAML(got)
			if err != nil {
				t.Fatal(err)
			}
			f, err := yaml.Marshal(map[string]any{"findings": findings})
			if err != nil {
				t.Fatal(err)
			}
			golden.Compare(t, base+".out.yaml", out, *update)
			golden.Compare(t, base+".findings.yaml", f, *update)
		})
	}
}

func shimOptions(t *testing.T, base string) certs.ShimOptions {
	t.Helper()
	var opts certs.ShimOptions
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
	return opts
}
