# ddiscope: `make demo` runs the whole loop on this machine (internal/demo);
# `make test` runs every test (the real-Kea ones need root and Debian's Kea
# packages: .ci/run installs them).
GO       ?= go
BIN      := bin
PKGS     := ./...
TESTFLAGS ?= -count=1 -timeout 20m

.PHONY: all build test bench generate check-generated lint demo demo-stop fuzz clean

all: build

# What --version and ddiscope_build_info say (prometheus/common/version).
# Outside a git checkout they are empty and the binary falls back to Go's
# own VCS stamp, or "unknown".
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null)
REVISION   ?= $(shell git rev-parse HEAD 2>/dev/null)
BRANCH     ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null)
BUILD_DATE ?= $(shell git log -1 --format=%cI 2>/dev/null)
BUILD_USER ?= $(shell id -un 2>/dev/null)@$(shell hostname 2>/dev/null)
VPKG       := github.com/prometheus/common/version
LDFLAGS    := -X $(VPKG).Version=$(VERSION) -X $(VPKG).Revision=$(REVISION) -X $(VPKG).Branch=$(BRANCH) \
              -X $(VPKG).BuildDate=$(BUILD_DATE) -X $(VPKG).BuildUser=$(BUILD_USER)

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ddiscope ./cmd/ddiscope
	$(GO) build -o $(BIN)/ddiscope-gen ./cmd/ddiscope-gen
	$(GO) build -o $(BIN)/ddiscope-configui ./cmd/ddiscope-configui
	$(GO) build -o $(BIN)/ddiscope-demo ./cmd/ddiscope-demo

# Every test. Packages run one at a time (-p 1) because the real-Kea
# tests each start daemons and network namespaces.
test:
	$(GO) vet $(PKGS)
	$(GO) test -p 1 $(TESTFLAGS) $(PKGS)

# Speed and memory targets (see docs/benchmarks.md). BENCHTIME=20x for
# steadier numbers.
BENCHTIME ?= 5x
# An apply to a real 10,000-subnet HA pair takes many seconds: fewer runs.
BENCHTIME_APPLY ?= 3x
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem -timeout 60m ./collector/kea/ ./collector/bind/ ./exporters/... ./cmd/ddiscope/ ./configui/keaview/ ./configui/web/
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME_APPLY) -benchmem -timeout 30m ./configui/apply/

generate:
	$(GO) run ./cmd/ddiscope-gen -out.dir .

# Fails when `make generate` would change a committed file (also a Go test).
check-generated: generate
	git diff --exit-code -- docs deploy
	test -z "$$(git status --porcelain -- docs deploy)"

lint:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

# Every fuzz target (found by name), FUZZTIME each, JOBS at a time (each
# with FUZZPARALLEL workers, default GOMAXPROCS); the
# issue's bar is FUZZTIME=10m. ONLY=regexp picks some (package or name).
# Their seed corpora run in `make test` as ordinary tests.
FUZZTIME ?= 60s
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) JOBS=$(or $(JOBS),1) FUZZPARALLEL=$(or $(FUZZPARALLEL),0) ONLY='$(or $(ONLY),.)' bash scripts/fuzz.sh

# Installs the missing Debian packages (starting and enabling no service),
# starts a Kea HA pair and DHCPv6 server, BIND primary and secondary,
# PostgreSQL, ddiscope, the config editor, Prometheus, Alertmanager (and
# Grafana where installed) with traffic that fires an alert, prints the URLs
# and returns. Needs root. DEMO_DIR (default /tmp/ddiscope-demo) holds
# everything; DEMO_PORT_OFFSET moves every port.
# DEMO_FLAGS passes flags to `ddiscope-demo up` (see its --help).
DEMO_FLAGS ?=
demo: build
	$(BIN)/ddiscope-demo up $(DEMO_FLAGS)

# Stops every process `make demo` started (by PID, checked against
# /proc) and deletes its network namespaces.
demo-stop:
	@test -x $(BIN)/ddiscope-demo || $(GO) build -o $(BIN)/ddiscope-demo ./cmd/ddiscope-demo
	$(BIN)/ddiscope-demo down

clean:
	rm -rf $(BIN)
