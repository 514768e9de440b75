package demo

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Client returns an HTTP client that sends requests for the shop's host to Envoy on 127.0.0.1 (as curl
// --resolve does) and trusts only the demo's certificate authority.
func (d *Demo) Client() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if host, port, err := net.SplitHostPort(addr); err == nil && strings.EqualFold(host, Host) {
					addr = net.JoinHostPort("127.0.0.1", port)
				}
				return dialer.DialContext(ctx, network, addr)
			},
			TLSClientConfig: &tls.Config{RootCAs: d.tls.Pool, MinVersion: tls.VersionTLS12},
		},
	}
}

// URL is the address of path on the shop, over scheme "http" or "https".
func (d *Demo) URL(scheme, path string) string {
	port := d.opts.HTTPPort
	if scheme == "https" {
		port = d.opts.HTTPSPort
	}
	return fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(Host, fmt.Sprint(port)), path)
}

// readinessChecks are the answers Envoy must give before the demo says it runs: the frontend and the
// API over HTTP, and the frontend over HTTPS with the local certificate.
var readinessChecks = []struct{ scheme, path, answer string }{
	{"http", "/", "frontend-"},
	{"http", "/api/items", "api: /api/items"},
	{"https", "/", "frontend-"},
}

// waitReady polls the shop through Envoy until every readiness check passes.
func (d *Demo) waitReady(ctx context.Context) error {
	client := d.Client()
	defer client.CloseIdleConnections()
	timeout := time.NewTimer(d.opts.ReadyTimeout)
	defer timeout.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		last := d.checkShop(ctx, client)
		if last == nil {
			return nil
		}
		d.opts.Log.Debug("waiting for envoy", "check", last)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.served:
			return fmt.Errorf("standalone mode stopped: %w", d.serveErr)
		case <-timeout.C:
			return fmt.Errorf("envoy did not serve the shop within %s: %w (envoy log: %s)", d.opts.ReadyTimeout, last, d.envoy.LogPath)
		case <-tick.C:
		}
	}
}

func (d *Demo) checkShop(ctx context.Context, client *http.Client) error {
	for _, c := range readinessChecks {
		url := d.URL(c.scheme, c.path)
		body, err := get(ctx, client, url)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(body, c.answer) {
			return fmt.Errorf("%w: %s answered %q, want it to start with %q", errNotReady, url, body, c.answer)
		}
	}
	return nil
}

// get returns the body of a 200 answer to a GET of url.
func get(ctx context.Context, client *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: %s answered %d", errNotReady, url, resp.StatusCode)
	}
	return string(body), nil
}

// PrintTry prints the commands to try the running shop.
func (d *Demo) PrintTry(w io.Writer) error {
	o := d.opts
	base := fmt.Sprintf("http://127.0.0.1:%d", o.HTTPPort)
	hostHeader := fmt.Sprintf("-H 'Host: %s'", Host)
	_, err := fmt.Fprintf(w, `
The shop runs: Envoy serves the manifests of %[1]s, with demo backends on 127.0.0.1.

Try:
  curl %[2]s %[3]s/
  curl %[2]s %[3]s/api/items
  curl --cacert %[4]s --resolve %[5]s:%[6]d:127.0.0.1 https://%[5]s:%[6]d/

The 90/10 canary between frontend-v1 and frontend-v2, over 100 requests:
  for i in $(seq 100); do curl -s %[2]s %[3]s/; done | sort | uniq -c

Edits to the files in %[1]s apply live (try the weights in routes.yaml).
Envoy: admin on http://127.0.0.1:%[7]d/, log in %[8]s. Ctrl-C stops everything.

`, shellQuote(o.ManifestsDir()), hostHeader, base, shellQuote(o.CAFile()), Host, o.HTTPSPort, o.AdminPort, shellQuote(d.envoy.LogPath))
	return err
}

// shellQuote quotes s for a POSIX shell when it holds anything but plain path characters.
func shellQuote(s string) string {
	plain := strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:,@", r))
	}) < 0
	if plain && s != "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
