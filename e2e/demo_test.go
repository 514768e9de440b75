package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gatebridge/gatebridge/demo"
	"github.com/gatebridge/gatebridge/examples"
)

// withFreeBackendPorts copies an example, giving every 127.0.0.1 address of it a free port, so that the
// test never binds the fixed ports of the demo.
func withFreeBackendPorts(t *testing.T, example fs.FS) fs.FS {
	t.Helper()
	local := regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)
	ports := map[string]string{}
	out := fstest.MapFS{}
	err := fs.WalkDir(example, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(example, path)
		if err != nil {
			return err
		}
		b = local.ReplaceAllFunc(b, func(addr []byte) []byte {
			if ports[string(addr)] == "" {
				ports[string(addr)] = fmt.Sprintf("127.0.0.1:%d", freePort(t))
			}
			return []byte(ports[string(addr)])
		})
		out[path] = &fstest.MapFile{Data: b, Mode: 0o644}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ports) == 0 {
		t.Fatal("the example has no 127.0.0.1 address")
	}
	return out
}

// TestDemo runs what `make run` runs (the bundled shop, its backends, a local certificate and a real
// Envoy) on free ports, and sends HTTP and HTTPS through it.
func TestDemo(t *testing.T) {
	log := testLog()
	opts := demo.Options{
		Dir: t.TempDir(), Example: withFreeBackendPorts(t, examples.Shop()), XDS: "127.0.0.1:0",
		HTTPPort: freePort(t), HTTPSPort: freePort(t), AdminPort: freePort(t),
		Poll: 100 * time.Millisecond, ReadyTimeout: 30 * time.Second, Log: log,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := demo.Start(ctx, opts)
	if err != nil {
		t.Fatalf("start the demo: %v", err)
	}
	t.Cleanup(d.Stop)
	client := d.Client()
	defer client.CloseIdleConnections()

	for _, tc := range []struct{ scheme, path, backend string }{
		{"http", "/", "frontend-v"},
		{"http", "/api/items?page=2", "api"},
		{"https", "/", "frontend-v"},
		{"https", "/api", "api"},
		{"http", "/apix", "frontend-v"},
	} {
		t.Run(tc.scheme+tc.path, func(t *testing.T) {
			name, seen, err := demoGet(client, d.URL(tc.scheme, tc.path))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(name, tc.backend) || seen != tc.path {
				t.Errorf("answered by %q for %q, want %s... for %s", name, seen, tc.backend, tc.path)
			}
		})
	}

	t.Run("the canary takes about 10%", func(t *testing.T) {
		counts := map[string]int{}
		for range 200 {
			name, _, err := demoGet(client, d.URL("http", "/"))
			if err != nil {
				t.Fatal(err)
			}
			counts[name]++
		}
		checkNinetyTen(t, counts)
	})

	t.Run("the printed commands name the ports and the CA", func(t *testing.T) {
		var out bytes.Buffer
		if err := d.PrintTry(&out); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			fmt.Sprintf("http://127.0.0.1:%d/api/items", opts.HTTPPort),
			fmt.Sprintf("--cacert %s --resolve shop.example.com:%d:127.0.0.1", opts.CAFile(), opts.HTTPSPort),
			"uniq -c",
		} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("the commands lack %q:\n%s", want, out.String())
			}
		}
	})

	t.Run("an edit of the working copy applies live", func(t *testing.T) {
		routes := filepath.Join(opts.ManifestsDir(), "routes.yaml")
		b, err := os.ReadFile(routes)
		if err != nil {
			t.Fatal(err)
		}
		edited := strings.NewReplacer("weight: 90", "weight: 0", "weight: 10", "weight: 100").Replace(string(b))
		if edited == string(b) {
			t.Fatal("routes.yaml has no 90/10 weights")
		}
		if err := os.WriteFile(routes, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		eventually(t, "all traffic to frontend-v2", func() error {
			for range 20 {
				if name, _, err := demoGet(client, d.URL("https", "/")); err != nil || name != "frontend-v2" {
					return fmt.Errorf("answered by %q (%v)", name, err)
				}
			}
			return nil
		})
	})
}

// demoGet sends a GET and returns the demo backend that answered and the path it saw.
func demoGet(c *http.Client, url string) (string, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("GET %s: status %d: %s", url, resp.StatusCode, body)
	}
	name, path, ok := strings.Cut(strings.TrimSpace(string(body)), ": ")
	if !ok {
		return "", "", fmt.Errorf("GET %s: not a demo backend's answer: %q", url, body)
	}
	return name, path, nil
}
