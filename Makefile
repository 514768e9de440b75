# gatebridge: run `make run` to try it on the bundled example, `make test` to run every test.
GO        ?= go
BIN       := bin/gatebridge
EXAMPLE   ?= examples/quickstart
FUZZTIME  ?= 5m

.PHONY: all build run test vet unit fuzz golden clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gatebridge

# run: translate the bundled example and print the Istio resources and the status of every object.
run: build
	$(BIN) convert -f $(EXAMPLE) --status

# test: every test of the project (vet, unit and golden tests, fuzz seeds).
test: vet unit

vet:
	$(GO) vet ./...

unit:
	$(GO) test -count=1 ./...

# fuzz: fuzz translation from YAML bytes (FUZZTIME=5m by default).
fuzz:
	$(GO) test ./convert -run '^$$' -fuzz FuzzTranslate -fuzztime $(FUZZTIME) -fuzzminimizetime 5s

# golden: rewrite the golden files after a deliberate change; review them with git diff.
golden:
	$(GO) test ./convert -run TestGolden -update

clean:
	rm -rf bin
