package e2e

import (
	"cmp"
	"testing"

	"github.com/gatebridge/gatebridge/internal/pki"
)

// ingressClass is our IngressClass, which every Ingress of the tests names.
const ingressClass = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: gatebridge}
spec: {controller: gatebridge.dev/ingress-controller}
`

const ingressManifests = ingressClass + `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: paths, namespace: shop}
spec:
  ingressClassName: gatebridge
  defaultBackend: {service: {name: frontend, port: {number: 80}}}
  rules:
  - host: paths.example.com
    http:
      paths:
      - {path: /exact, pathType: Exact, backend: {service: {name: exact, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
      - {path: /api/v2/, pathType: Prefix, backend: {service: {name: apiv2, port: {number: 80}}}}
      - {path: /static, pathType: ImplementationSpecific, backend: {service: {name: static, port: {number: 80}}}}
      - {path: /gone, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: secure, namespace: shop}
spec:
  ingressClassName: gatebridge
  tls:
  - {hosts: [a.example.com], secretName: a-tls}
  - {hosts: [b.example.com], secretName: b-tls}
  rules:
  - host: a.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}
  - host: b.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: static, port: {number: 80}}}}]}
`

// TestIngressThroughEnvoy sends real requests through a real Envoy programmed from Ingress objects:
// every pathType, the default backend, a missing Service, and TLS for two hosts selected by SNI.
func TestIngressThroughEnvoy(t *testing.T) {
	files := map[string]string{"ingress.yaml": ingressManifests}
	for _, name := range []string{"frontend", "exact", "api", "apiv2", "static"} {
		files[name+".yaml"] = service("shop", name, startBackend(t, name).addr)
	}
	ca, err := pki.NewCA("e2e ingress")
	if err != nil {
		t.Fatal(err)
	}
	leaves := map[string]*pki.Leaf{}
	for _, host := range []string{"a", "b"} {
		if leaves[host], err = ca.IssueNow(host + ".example.com"); err != nil {
			t.Fatal(err)
		}
		files[host+"-tls.yaml"] = tlsSecret("shop", host+"-tls", leaves[host])
	}
	h := start(t, "ingress-gatebridge", files)
	const host = "paths.example.com"
	eventually(t, "first configuration", func() error { return h.answers(host, "/api", "api") })

	cases := []struct {
		name, path string
		code       int
		backend    string
		host       string // default: paths.example.com
	}{
		{"Exact takes its path", "/exact", 200, "exact", ""},
		{"Exact does not take a trailing slash", "/exact/", 200, "frontend", ""},
		{"Exact does not take a longer path", "/exact/more", 200, "frontend", ""},
		{"Prefix takes itself", "/api", 200, "api", ""},
		{"Prefix takes itself with a slash", "/api/", 200, "api", ""},
		{"Prefix takes sub-paths", "/api/items/1", 200, "api", ""},
		{"Prefix does not take a longer segment", "/apix", 200, "frontend", ""},
		{"Prefix with a trailing slash takes the path without it", "/api/v2", 200, "apiv2", ""},
		{"the longest Prefix wins", "/api/v2/items", 200, "apiv2", ""},
		{"ImplementationSpecific is a string prefix", "/staticfile.css", 200, "static", ""},
		{"ImplementationSpecific takes sub-paths", "/static/app.js", 200, "static", ""},
		{"defaultBackend takes the rest of the host", "/", 200, "frontend", ""},
		{"defaultBackend takes other hosts", "/anything", 200, "frontend", "elsewhere.example.com"},
		{"a missing Service answers 503", "/gone/x", 503, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seen := ""
			if tc.code == 200 {
				seen = tc.path
			}
			h.expectBackend(t, cmp.Or(tc.host, host), tc.path, tc.code, tc.backend, seen)
		})
	}

	t.Run("TLS for two hosts, certificate selected by SNI", func(t *testing.T) {
		for host, backend := range map[string]string{"a": "api", "b": "static"} {
			eventually(t, "HTTPS on "+host, func() error {
				return h.answersTLS(host+".example.com", "/x", backend, ca, leaves[host].Serial)
			})
		}
	})
}
