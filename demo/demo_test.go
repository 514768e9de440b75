package demo

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/convert"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func serviceWith(name, endpoints string) corev1.Service {
	return corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop",
		Annotations: map[string]string{"gatebridge.dev/endpoints": endpoints}}}
}

func TestLocalBackends(t *testing.T) {
	in := &convert.Input{Services: []corev1.Service{
		serviceWith("web", "127.0.0.1:9002, 127.0.0.1:9001"),
		serviceWith("remote", "10.0.0.1:80,example.com:80"),
		serviceWith("named", "localhost:9003"),
		serviceWith("v6", "[::1]:9004"),
		serviceWith("twice", "127.0.0.1:9001"),
		serviceWith("broken", "127.0.0.1"),
		{ObjectMeta: metav1.ObjectMeta{Name: "plain", Namespace: "shop"}},
	}}
	got := localBackends(in)
	want := []backendSpec{
		{"shop/web", "web", "127.0.0.1:9001"},
		{"shop/web", "web", "127.0.0.1:9002"},
		{"shop/v6", "v6", "[::1]:9004"},
		{"shop/named", "named", "localhost:9003"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("localBackends:\n got %v\nwant %v", got, want)
	}
}

func TestBackendHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	backendHandler("frontend-v1").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/cart?id=1", nil))
	if got := rec.Body.String(); got != "frontend-v1: /cart?id=1\n" {
		t.Errorf("body %q", got)
	}
	if got := rec.Header().Get("X-Backend"); got != "frontend-v1" {
		t.Errorf("X-Backend %q", got)
	}
}

// TestBundledExample checks that the example and the Secret the demo writes translate without a note,
// with the HTTPS listener served, for the fleet and host the demo uses.
func TestBundledExample(t *testing.T) {
	o := Options{Dir: t.TempDir(), Log: quiet()}.withDefaults()
	if _, err := prepare(o); err != nil {
		t.Fatal(err)
	}
	in, err := convert.LoadPaths("default", o.ManifestsDir())
	if err != nil {
		t.Fatal(err)
	}
	res := convert.Translate(in, convert.Options{})
	for _, n := range res.Notes {
		t.Errorf("note: %s", n.String())
	}
	if fleets := res.Snapshot.Fleets(); !slices.Contains(fleets, Fleet) {
		t.Errorf("fleets %v lack %s", fleets, Fleet)
	}
	var hosts []string
	for _, g := range res.Snapshot.Gateways {
		for _, s := range g.Spec.Servers {
			if s.Tls != nil {
				hosts = append(hosts, s.Hosts...)
			}
		}
	}
	if !slices.Contains(hosts, Host) {
		t.Errorf("no HTTPS server for %s (HTTPS hosts %v)", Host, hosts)
	}
	if len(localBackends(&in)) != 3 {
		t.Errorf("want 3 demo backends (api, frontend-v1, frontend-v2), got %v", localBackends(&in))
	}
}

func TestPrepareKeepsOtherFiles(t *testing.T) {
	o := Options{Dir: t.TempDir(), Log: quiet(), Example: fstest.MapFS{"a.yaml": {Data: []byte("# a\n")}}}.withDefaults()
	if _, err := prepare(o); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(o.ManifestsDir(), "mine.yaml")
	if err := os.WriteFile(mine, []byte("# mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(o.ManifestsDir(), "a.yaml"), []byte("# edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := prepare(o); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{mine: "# mine\n", filepath.Join(o.ManifestsDir(), "a.yaml"): "# a\n"} {
		if b, err := os.ReadFile(path); err != nil || string(b) != want {
			t.Errorf("%s: %q %v, want %q", path, b, err, want)
		}
	}
	info, err := os.Stat(filepath.Join(o.ManifestsDir(), secretName+".yaml"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("secret file: %v %v, want mode 0600", info, err)
	}
	if _, err := os.Stat(o.CAFile()); err != nil {
		t.Errorf("ca.pem: %v", err)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		".run/ca.pem":    ".run/ca.pem",
		"/tmp/a b/c.pem": "'/tmp/a b/c.pem'",
		"it's":           `'it'\''s'`,
		"":               "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
