package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatebridge/gatebridge/internal/eventually"
)

// lockedBuffer is a bytes.Buffer that a command can log into while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestStandaloneServesDebugPages(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"standalone", "--dir", "../../examples/quickstart", "--xds", "127.0.0.1:0", "--debug-address", "127.0.0.1:0"}, io.Discard, &stderr)
	}()
	urlRE := regexp.MustCompile(`msg="serving debug pages" .*url=(\S+)`)
	var base string
	eventually.Within(t, 10*time.Second, "the debug address in the log", func() error {
		m := urlRE.FindStringSubmatch(stderr.String())
		if m == nil {
			return fmt.Errorf("no debug URL in the log yet")
		}
		base = m[1]
		return nil
	})
	var body string
	eventually.Within(t, 10*time.Second, "the quickstart routes", func() error {
		resp, err := http.Get(base + "routes?fleet=gateway-shop-web")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "shop.example.com") {
			return fmt.Errorf("status %d, body %q", resp.StatusCode, body)
		}
		return nil
	})
	if !strings.Contains(body, "api-v1.shop.svc.cluster.local 90%") || strings.Contains(body, "ingress-gatebridge") {
		t.Errorf("routes of gateway-shop-web:\n%s", body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("standalone did not stop when its context ended")
	}
	if _, err := http.Get(base); err == nil {
		t.Error("the debug pages are still served after the command returned")
	}
}

func TestStandaloneBadDebugAddress(t *testing.T) {
	code, _, errOut := runCLI(t, "standalone", "--dir", "../../examples/quickstart", "--xds", "127.0.0.1:0", "--debug-address", "256.0.0.1:1")
	if code != 1 || !strings.Contains(errOut, "listen for debug pages") {
		t.Errorf("exit %d, stderr: %s", code, errOut)
	}
}
