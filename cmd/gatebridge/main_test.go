package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestConvertExample(t *testing.T) {
	code, out, errOut := runCLI(t, "convert", "-f", "../../examples/quickstart", "--status")
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errOut)
	}
	for _, want := range []string{"kind: Gateway", "kind: VirtualService", "kind: HTTPRoute", "status:", "weight: 90"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "BackendService") {
		t.Errorf("convert prints model-only documents; it must print Istio resources only")
	}
}

func TestConvertJSON(t *testing.T) {
	code, out, errOut := runCLI(t, "convert", "-f", "../../examples/quickstart", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errOut)
	}
	var list struct {
		Kind  string           `json:"kind"`
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if list.Kind != "List" || len(list.Items) == 0 {
		t.Errorf("got kind %q with %d items", list.Kind, len(list.Items))
	}
}

func TestConvertErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec: {rulez: []}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"no command", nil, 2, []string{"usage"}},
		{"unknown command", []string{"frobnicate"}, 2, []string{"unknown command"}},
		{"no files", []string{"convert"}, 2, []string{"usage: gatebridge convert"}},
		{"bad output", []string{"convert", "-f", bad, "-o", "xml"}, 1, []string{"want yaml or json"}},
		{"invalid manifest", []string{"convert", "-f", bad}, 1, []string{"bad.yaml", "document 1", "Ingress shop/web", "rulez"}},
		{"missing file", []string{"convert", "-f", "/nonexistent/x.yaml"}, 1, []string{"no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr: %s)", code, tt.code, errOut)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr %q lacks %q", errOut, s)
				}
			}
		})
	}
}

func TestConvertNotesGoToStderr(t *testing.T) {
	f := filepath.Join(t.TempDir(), "in.yaml")
	doc := `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    kubernetes.io/ingress.class: gatebridge
    nginx.ingress.kubernetes.io/server-snippet: "return 418;"
spec:
  rules:
  - host: a.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: missing, port: {number: 80}}}
`
	if err := os.WriteFile(f, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "convert", "-f", f)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"server-snippet", "service default/missing not found"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q: %s", want, errOut)
		}
	}
	if strings.Contains(out, "server-snippet") || !strings.Contains(out, "status: 503") {
		t.Errorf("stdout should hold only the resources, with a 503 for the missing backend:\n%s", out)
	}
}

func TestBootstrap(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want []string
	}{
		{args: []string{"bootstrap", "--fleet", "gateway-shop-web", "--xds", "127.0.0.1:18000"}, want: []string{`"cluster":"gateway-shop-web"`, `"apiType":"GRPC"`, `"portValue":19000`}},
		{args: []string{"bootstrap", "--fleet", "f", "--delta", "--admin-port", "19100"}, want: []string{`"apiType":"DELTA_GRPC"`, `"portValue":19100`}},
		{args: []string{"bootstrap"}, code: 2},
		{args: []string{"bootstrap", "--fleet", "f", "--xds", "no-port"}, code: 1},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			compact := strings.Join(strings.Fields(stdout), "") // protojson varies its spacing
			for _, w := range tc.want {
				if !strings.Contains(compact, w) {
					t.Errorf("bootstrap lacks %s:\n%s", w, stdout)
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runCLI(t, "version")
	if code != 0 || stdout != "gatebridge dev\n" {
		t.Errorf("version: exit %d, printed %q", code, stdout)
	}
}

func TestConvertCertificates(t *testing.T) {
	code, out, errOut := runCLI(t, "convert", "--certificates", "-f", "../../certs/testdata/ingress-annotated.in.yaml")
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errOut)
	}
	want, err := os.ReadFile("../../certs/testdata/ingress-annotated.out.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "kind: Certificate") || strings.TrimSpace(out) != strings.TrimSpace(string(want)) {
		t.Errorf("convert --certificates printed\n%s\nwant the golden Certificates of certs/testdata:\n%s", out, want)
	}
}
