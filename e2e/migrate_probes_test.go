package e2e

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/internal/pki"
	"github.com/gatebridge/gatebridge/migrate"
)

// probe is one request sent to both sides.
type probe struct {
	class, host string
	// ruleHost is the host of the Ingress rule the probe is derived from ("" for the catch-all).
	ruleHost string
	path     string
	https    bool
	header   map[string]string
	// repeat sends the request that many times and compares the set of backends (weighted canaries).
	repeat int
}

func (p probe) String() string {
	scheme := "http"
	if p.https {
		scheme = "https"
	}
	var hs []string
	for _, k := range slices.Sorted(maps.Keys(p.header)) {
		hs = append(hs, k+"="+p.header[k])
	}
	return fmt.Sprintf("%s://%s%s %v", scheme, p.host, p.path, hs)
}

// answer is what a probe observed; two answers compare with ==.
type answer struct {
	err                  bool
	code                 int
	backend, path        string
	location, corsOrigin string
	// proto is the protocol the backend was spoken to with (HTTP/1.1, HTTP/2.0).
	proto string
}

func (a answer) String() string {
	if a.err {
		return "(connection failed)"
	}
	return fmt.Sprintf("[%d %s %s %s loc=%q cors=%q]", a.code, a.backend, a.path, a.proto, a.location, a.corsOrigin)
}

// probes derives the requests of every migrated Ingress.
func (rt *corpusTrip) probes() []probe {
	seen := map[string]bool{}
	var out []probe
	add := func(p probe) {
		if !seen[p.String()] {
			seen[p.String()] = true
			out = append(out, p)
		}
	}
	tlsHosts := map[string]bool{}
	for _, ing := range rt.in.Ingresses {
		for _, t := range ing.Spec.TLS {
			for _, h := range t.Hosts {
				tlsHosts[h] = true
			}
		}
	}
	for _, hosts := range rt.passthroughHosts() {
		for _, h := range hosts {
			tlsHosts[h] = true
		}
	}
	for class := range rt.ingress {
		add(probe{class: class, host: "unmatched-host.example.net", path: "/", repeat: 1})
		add(probe{class: class, host: "unmatched-host.example.net", path: "/status", repeat: 1})
	}
	for _, r := range rt.result.Report.Objects {
		ing := rt.findIngress(r.Object)
		for _, rule := range ing.Spec.Rules {
			for _, p := range rt.ruleProbes(ing, rule, tlsHosts[rule.Host]) {
				add(p)
			}
			// An ignored alias is not a name of the host: the catch-all answers it on both sides.
			_, ignored := rt.otherNames(rt.ingressOf[rule.Host], rule.Host)
			for _, name := range ignored {
				for _, ip := range rulePaths(rule) {
					add(probe{class: rt.ingressOf[rule.Host], host: name, path: cmpOr(ip.Path, "/"), repeat: 1})
				}
			}
		}
	}
	return out
}

// ruleProbes are the probes of one rule: every host form, every path form, with the headers that select
// canaries and CORS, over HTTP and (when the host has TLS) HTTPS.
func (rt *corpusTrip) ruleProbes(ing *networkingv1.Ingress, rule networkingv1.IngressRule, hasTLS bool) []probe {
	class := rt.ingressOf[rule.Host]
	hosts := []string{rule.Host}
	switch {
	case rule.Host == "":
		hosts = []string{"unmatched-host.example.net"}
	case strings.HasPrefix(rule.Host, "*."):
		hosts = []string{"t1" + rule.Host[1:], "a.b" + rule.Host[1:]}
	default:
		names, _ := rt.otherNames(class, rule.Host)
		hosts = append(hosts, names...)
	}
	paths := []string{"/", "/no-such-path-xyz"}
	if rule.HTTP != nil {
		for _, ip := range rule.HTTP.Paths {
			paths = append(paths, pathForms(ip.Path, regexPaths(ing))...)
		}
	}
	headers := rt.selectorHeaders(rule.Host)
	var out []probe
	for _, h := range hosts {
		for _, path := range paths {
			for _, hdr := range headers {
				repeat := 1
				if rt.weighted(rule.Host) {
					repeat = 40
				}
				out = append(out, probe{class: class, host: h, ruleHost: rule.Host, path: path, header: hdr, repeat: repeat})
				if hasTLS {
					out = append(out, probe{class: class, host: h, ruleHost: rule.Host, path: path, header: hdr, repeat: repeat, https: true})
				}
			}
		}
	}
	return out
}

// pathForms are the path itself (its literal start for a regex), a sub-path and a longer string.
func pathForms(path string, regex bool) []string {
	if i := strings.IndexAny(path, "()[]|$^*+?.\\{}"); regex && i >= 0 {
		path = path[:i]
	}
	path = "/" + strings.TrimLeft(path, "/")
	base := strings.TrimSuffix(path, "/")
	return []string{path, base + "/sub/item", base + "x", base + "/"}
}

// selectorHeaders are the header sets to send to a host: none, and those that pick a canary or send a
// CORS origin.
func (rt *corpusTrip) selectorHeaders(host string) []map[string]string {
	out := []map[string]string{nil}
	for _, ing := range rt.in.Ingresses {
		if !hasRuleHost(&ing, host) {
			continue
		}
		a := ing.Annotations
		if h := a[annotations.NginxPrefix+"canary-by-header"]; h != "" {
			out = append(out, map[string]string{h: cmpOr(a[annotations.NginxPrefix+"canary-by-header-value"], "always")}, map[string]string{h: "never"})
		}
		if c := a[annotations.NginxPrefix+"canary-by-cookie"]; c != "" {
			out = append(out, map[string]string{"Cookie": c + "=always"})
		}
		if a[annotations.NginxPrefix+"auth-type"] == "basic" {
			// The user of the corpus's htpasswd Secret, with its password and with a wrong one.
			out = append(out, map[string]string{"Authorization": basicAuth("tester", "staging-pass")}, map[string]string{"Authorization": basicAuth("tester", "wrong")})
		}
		if a[annotations.NginxPrefix+"enable-cors"] == "true" {
			out = append(out, map[string]string{"Origin": "https://app.example.com"}, map[string]string{"Origin": "https://evil.example.org"})
		}
	}
	return out
}

// regexPaths says whether ingress-nginx reads the paths of an Ingress as regular expressions.
func regexPaths(ing *networkingv1.Ingress) bool {
	_, rewrite := ing.Annotations[annotations.NginxPrefix+"rewrite-target"]
	return rewrite || ing.Annotations[annotations.NginxPrefix+"use-regex"] == "true"
}

func basicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func hasRuleHost(ing *networkingv1.Ingress, host string) bool {
	return slices.ContainsFunc(ing.Spec.Rules, func(r networkingv1.IngressRule) bool { return r.Host == host })
}

// weighted says whether a canary of the host takes a share of the requests.
func (rt *corpusTrip) weighted(host string) bool {
	for _, ing := range rt.in.Ingresses {
		if hasRuleHost(&ing, host) && ing.Annotations[annotations.NginxPrefix+"canary-weight"] != "" {
			return true
		}
	}
	return false
}

func (rt *corpusTrip) ingressSide(p probe) *harness { return rt.ingress[p.class] }

// gatewaySide is the Envoy of the Gateway with a listener for the probe's rule host, or else the
// class's own Gateway (its listener without hostname takes every other host).
func (rt *corpusTrip) gatewaySide(p probe) *harness {
	for fleet, hosts := range rt.listenerHosts {
		if p.ruleHost != "" && slices.Contains(hosts, p.ruleHost) {
			return rt.gateway[fleet]
		}
	}
	return rt.gateway["gateway-"+migrate.DefaultGatewayNamespace+"-"+p.class]
}

// send sends the probe and summarises what came back.
func (h *harness) send(p probe, ca *pki.CA) answer {
	if h == nil {
		return answer{err: true}
	}
	var backends []string
	var a answer
	for range p.repeat {
		a = h.sendOnce(p, ca)
		if !slices.Contains(backends, a.backend) {
			backends = append(backends, a.backend)
		}
	}
	slices.Sort(backends)
	a.backend = strings.Join(backends, "|")
	return a
}

func (h *harness) sendOnce(p probe, ca *pki.CA) answer {
	scheme, port := "http", h.ports[80]
	client := h.client
	if p.https {
		scheme, port = "https", h.ports[443]
		tr := &http.Transport{
			TLSClientConfig: &tls.Config{ServerName: p.host, RootCAs: ca.Pool()},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, fmt.Sprintf("127.0.0.1:%d", port))
			},
		}
		defer tr.CloseIdleConnections()
		client = &http.Client{Transport: tr, Timeout: 5 * time.Second, CheckRedirect: h.client.CheckRedirect}
	}
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s://127.0.0.1:%d%s", scheme, port, p.path), nil)
	if err != nil {
		return answer{err: true}
	}
	if p.https {
		req.URL.Host = p.host
	}
	req.Host = p.host
	for k, v := range p.header {
		req.Header.Set(k, v)
	}
	code, hdr, e, err := roundTrip(client, req)
	if err != nil {
		return answer{err: true}
	}
	return answer{code: code, backend: e.Backend, path: e.Path, location: hdr.Get("Location"), corsOrigin: hdr.Get("Access-Control-Allow-Origin"), proto: e.Proto}
}

// waitReady waits until every Envoy of both sides has its listeners, routes included, active.
func (rt *corpusTrip) waitReady() {
	for _, h := range slices.Concat(slices.Collect(maps.Values(rt.ingress)), slices.Collect(maps.Values(rt.gateway))) {
		eventually(rt.t, "listeners active", func() error {
			active, err := h.stat("listener_manager.total_listeners_active")
			if err != nil {
				return err
			}
			warming, err := h.stat("listener_manager.total_listeners_warming")
			if err != nil || active == 0 || warming > 0 {
				return fmt.Errorf("%d listeners active, %d warming (%v)", active, warming, err)
			}
			return nil
		})
	}
}

// otherNames are the names a rule host also answers on: the aliases (server-alias) of its oldest Ingress
// that has some, as ingress-nginx takes them, and its www twin (www. added or removed) when one of its
// Ingresses asks for from-to-www-redirect; names a rule of the corpus has are left out (they answer as
// their own host). ignored are the aliases of its newer Ingresses, which no host answers on.
func (rt *corpusTrip) otherNames(class, host string) (names, ignored []string) {
	ruleHosts := map[string]bool{}
	for _, ing := range rt.in.Ingresses {
		for _, r := range ing.Spec.Rules {
			ruleHosts[r.Host] = true
		}
	}
	add := func(to *[]string, name string) {
		if name != "" && !ruleHosts[name] && !slices.Contains(*to, name) {
			*to = append(*to, name)
		}
	}
	aliased := false
	for _, ing := range rt.primaries(class) {
		if !hasRuleHost(ing, host) {
			continue
		}
		if v := ing.Annotations[annotations.NginxPrefix+"server-alias"]; v != "" {
			to := &names
			if aliased {
				to = &ignored
			}
			aliased = true
			for a := range strings.SplitSeq(v, ",") {
				add(to, strings.ToLower(strings.TrimSpace(a)))
			}
		}
		if ing.Annotations[annotations.NginxPrefix+"from-to-www-redirect"] == "true" {
			twin, isWWW := strings.CutPrefix(host, "www.")
			if !isWWW {
				twin = "www." + host
			}
			add(&names, twin)
		}
	}
	return names, ignored
}
