package convert

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatebridge/gatebridge/model"
)

// FuzzTranslate feeds arbitrary manifest bytes through loading and translation. Whatever the input,
// translation must not panic, must be deterministic, and must produce a model that validates and prints.
func FuzzTranslate(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.in.yaml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var in Input
		_ = in.Decode("fuzz", bytes.NewReader(data)) // bad documents are reported and skipped
		in.DefaultNamespaces("default")
		opts := Options{IngressAddresses: []string{"192.0.2.1"}, WatchIngressWithoutClass: len(data)%2 == 0}
		res := Translate(in, opts)
		if err := res.Snapshot.Validate(); err != nil {
			t.Fatalf("translation produced an invalid model: %v", err)
		}
		first, err := res.Snapshot.Documents(model.PrintOptions{Services: true})
		if err != nil {
			t.Fatalf("print: %v", err)
		}
		res2 := Translate(in, opts)
		again, _ := res2.Snapshot.Documents(model.PrintOptions{Services: true})
		a, _ := model.YAML(first)
		b, _ := model.YAML(again)
		if !bytes.Equal(a, b) {
			t.Fatalf("translation is not deterministic")
		}
	})
}
