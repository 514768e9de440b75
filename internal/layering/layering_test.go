package layering

import (
	"os/exec"
	"strings"
	"testing"
)

// rules lists, per package of this module, the import path prefixes it must not depend on, even
// indirectly.
var rules = []struct {
	pkg       string
	forbidden []string
}{
	{"model", []string{"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "google.golang.org/grpc", "github.com/envoyproxy/go-control-plane", "istio.io/istio"}},
	{"convert", []string{"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "google.golang.org/grpc", "github.com/envoyproxy/go-control-plane", "istio.io/istio"}},
	{"annotations", []string{"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "google.golang.org/grpc", "github.com/envoyproxy/go-control-plane"}},
	{"certs", []string{"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "google.golang.org/grpc", "github.com/envoyproxy/go-control-plane"}},
	{"envoyxds", []string{"k8s.io/api", "k8s.io/client-go", "sigs.k8s.io/gateway-api", "sigs.k8s.io/controller-runtime"}},
}

func TestLayering(t *testing.T) {
	const module = "github.com/gatebridge/gatebridge/"
	for _, r := range rules {
		t.Run(r.pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "../../"+r.pkg).CombinedOutput()
			if err != nil {
				if strings.Contains(string(out), "directory not found") || strings.Contains(string(out), "no Go files") || strings.Contains(string(out), "cannot find") {
					t.Skipf("package %s does not exist yet", r.pkg)
				}
				t.Fatalf("go list %s: %v\n%s", r.pkg, err, out)
			}
			deps := strings.Fields(string(out))
			if len(deps) == 0 || !strings.Contains(string(out), module+r.pkg) {
				t.Fatalf("go list gave no dependencies for %s", r.pkg)
			}
			for _, d := range deps {
				for _, f := range r.forbidden {
					if d == f || strings.HasPrefix(d, f+"/") {
						t.Errorf("%s depends on %s (forbidden: %s)", r.pkg, d, f)
					}
				}
			}
		})
	}
}
