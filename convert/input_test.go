package convert

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		ingresses int
		services  int
		wantErr   []string // substrings of the error, in order
	}{
		{name: "empty", yaml: ""},
		{name: "separators only", yaml: "---\n---\n"},
		{name: "skips unknown kinds", yaml: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"},
		{name: "ingress and service", yaml: ingressDoc + "---\n" + serviceDoc, ingresses: 1, services: 1},
		{name: "a list", yaml: "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.TrimSpace(serviceDoc), "\n", "\n  ") + "\n", services: 1},
		{name: "json", yaml: `{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}`, services: 1},
		{
			name: "unknown field names file, position and object", yaml: serviceDoc + "---\napiVersion: v1\nkind: Service\nmetadata: {name: bad, namespace: ns}\nspec: {portz: 1}\n",
			services: 1, wantErr: []string{"in.yaml: document 2", "Service ns/bad", `unknown field "spec.portz"`},
		},
		{name: "wrong type", yaml: "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec: {rules: 3}\n", wantErr: []string{"Ingress i"}},
		{name: "no kind", yaml: "metadata: {name: x}\n", wantErr: []string{"apiVersion and kind are required"}},
		{name: "no name", yaml: "apiVersion: v1\nkind: Service\nmetadata: {}\n", wantErr: []string{"Service without metadata.name"}},
		{name: "malformed yaml keeps earlier documents", yaml: serviceDoc + "---\nfoo: [\n", services: 1, wantErr: []string{"document 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in Input
			err := in.Decode("in.yaml", strings.NewReader(tt.yaml))
			if len(tt.wantErr) == 0 && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(tt.wantErr) > 0 {
				if err == nil || !errors.Is(err, ErrInvalidManifest) {
					t.Fatalf("error = %v, want an ErrInvalidManifest", err)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
			}
			if len(in.Ingresses) != tt.ingresses || len(in.Services) != tt.services {
				t.Errorf("got %d ingresses and %d services, want %d and %d", len(in.Ingresses), len(in.Services), tt.ingresses, tt.services)
			}
		})
	}
}

const ingressDoc = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules: [{host: a.example.com}]
`

const serviceDoc = `apiVersion: v1
kind: Service
metadata: {name: svc}
spec:
  ports: [{port: 80}]
`

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, ".hidden"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(ingressDoc), 0o644))
	must(os.WriteFile(filepath.Join(dir, "sub", "b.yml"), []byte(serviceDoc), 0o644))
	must(os.WriteFile(filepath.Join(dir, ".hidden", "c.yaml"), []byte(serviceDoc), 0o644))
	must(os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not yaml: ["), 0o644))

	in, err := LoadPaths("team", dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Ingresses) != 1 || len(in.Services) != 1 {
		t.Fatalf("got %d ingresses, %d services; want 1 and 1 (hidden folders and other files skipped)", len(in.Ingresses), len(in.Services))
	}
	if in.Ingresses[0].Namespace != "team" || in.Services[0].Namespace != "team" {
		t.Errorf("objects without a namespace did not get the default one")
	}
	if _, err := LoadPaths("", filepath.Join(dir, "missing.yaml")); err == nil {
		t.Errorf("a missing file gave no error")
	}
}
