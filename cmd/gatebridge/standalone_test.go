package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
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

// waitUntil retries check until it returns true or a generous deadline passes.
func waitUntil(t *testing.T, what string, check func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !check(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
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
	waitUntil(t, "the debug address in the log", func() bool {
		if m := urlRE.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		}
		return base != ""
	})
	var body string
	waitUntil(t, "the quickstart routes", func() bool {
		resp, err := http.Get(base + "routes?fleet=gateway-shop-web")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return resp.StatusCode == http.StatusOK && strings.Contains(body, "shop.example.com")
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
