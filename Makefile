# kpnode: a Kimberley Process data-sharing node. `make help` lists the targets.

GO        ?= go
BIN       := bin/kpnode
PKGS      := ./...
FUZZTIME  ?= 10s
BENCHCOUNT ?= 3
PEER_N    ?= 100000
PEER_COUNT ?= 3
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# VERSION names the commit: git describe (the nearest v* tag, else the
# commit), "-dirty" when tracked files have changes. make release stamps it.
VERSION   ?= $(shell git describe --tags --match 'v[0-9]*' --always --dirty --abbrev=12 2>/dev/null || echo devel)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
STAMP     := -X github.com/kpnode/kpnode/internal/buildinfo.stamped=$(VERSION) -X github.com/kpnode/kpnode/internal/buildinfo.stampedCommit=$(COMMIT)

.DEFAULT_GOAL := help

.PHONY: help build test check bench bench-short soak fuzz demo screenshots clean axe release release-check

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build the kpnode binary into ./bin/kpnode
	$(GO) build -trimpath -ldflags "$(STAMP)" -o $(BIN) ./cmd/kpnode

test: ## run every test: libraries under the race detector, the CLI against real daemons, the store's compactor in its nolinkname build (docs/storage.md), then every fuzz target for 1 s (installs axe-core first when npm is there)
	@[ -f api/testdata/axe/node_modules/axe-core/axe.min.js ] || ! command -v npm >/dev/null || $(MAKE) --no-print-directory axe
	$(GO) test -race -count=1 -timeout 15m $$($(GO) list ./... | grep -v /cmd/)
	$(GO) test -count=1 -timeout 15m ./cmd/...
	$(GO) test -count=1 -timeout 5m -tags nolinkname -run Compact ./store/
	FUZZTIME=1s ./scripts/fuzz.sh

check: ## vet (also as Windows and macOS builds), gofmt and staticcheck (the store also in its nolinkname build)
	$(GO) vet $(PKGS)
	$(GO) vet -tags nolinkname ./store/
	GOOS=windows $(GO) vet $(PKGS)
	GOOS=darwin $(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) run $(STATICCHECK) $(PKGS)

bench: ## run the target benchmarks (BENCHCOUNT=3 runs each, ~5 min with the attacks and reconnects under a flood), start-up, verify and idle with real processes (SCALE_COUNT=1 run, ~3 min), the memory after an import (1 run), the findings at scale (3 runs on one node, ~1 min), Hypercore (PEER_COUNT=3 runs, ~2.5 min, needs node and npm), the 20-node testnet and the 67-node whole network (1 run each, ~3 min) and 100 crash cycles (~3 min); says whether it stayed within 15 min; write BENCHMARKS.md (BENCH_ALL=1: also the micro-benchmarks)
	BENCHCOUNT=$(BENCHCOUNT) PEER_N=$(PEER_N) PEER_COUNT=$(PEER_COUNT) ./scripts/bench.sh

bench-short: ## run every benchmark once at a small size (seconds): checks they still run, measures nothing
	$(GO) test -short -run '^$$' -bench . -benchtime 1x -timeout 10m ./crypto/ ./protocol/ ./tabular/ ./store/ ./reconcile/ ./testnet/trade/
	$(GO) test -short -run '^$$' -bench . -benchtime 1x -timeout 10m ./node/ -args -latency.samples=50
	$(GO) test -short -run '^$$' -bench '^Benchmark(Testnet|WholeNetwork)$$' -benchtime 1x -timeout 10m ./cmd/kpnode/
	$(GO) test -short -run '^$$' -bench . -benchtime 1x -timeout 10m ./api/
	$(GO) test -short -run '^$$' -bench '^Benchmark(StartUp|VerifyStore|Idle|ImportMemory)$$' -benchtime 1x -timeout 10m ./cmd/kpnode/
	PEER_N=2000 PEER_COUNT=1 ./scripts/hypercore/compare.sh

SOAK_MINUTES ?= 60
SOAK_OUT     ?= $(CURDIR)/soak-out

soak: build ## five nodes for SOAK_MINUTES (default 60) at a year's trade compressed 100-fold, a partner killed every few minutes, a partition healed every ten; fails if a resource grows or an acknowledged record is lost; writes SOAK_OUT/soak.csv and soak.svg (docs/performance.md)
	SOAK_MINUTES=$(SOAK_MINUTES) SOAK_BINARY=$(CURDIR)/$(BIN) SOAK_OUT=$(SOAK_OUT) $(GO) test -count=1 -v -run '^TestSoak$$' -timeout $$(( $(SOAK_MINUTES) + 20 ))m ./testnet/

fuzz: ## run every fuzz target for FUZZTIME (default 10s) each
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

demo: ## a five-participant testnet (IN BE AE ZA BW) with a year of trade and dashboards; Ctrl-C stops it (the first run builds for minutes, with progress)
	GO=$(GO) ./scripts/build-progress.sh $(BIN) -trimpath -ldflags "$(STAMP)"
	./scripts/demo.sh

screenshots: ## write the dashboard's screenshots (docs/screenshots/*.png) from two nodes with data; needs chromium
	KPNODE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^TestScreenshots$$' -timeout 5m -v ./api/

axe: ## install npm's axe-core (pinned) for the dashboard's accessibility tests into api/testdata/axe; needs npm
	cd api/testdata/axe && npm ci --no-audit --no-fund

# release and operations (docs/operations.md)
release: ## static, reproducible binaries for linux/amd64, linux/arm64, darwin/arm64, windows/amd64 and SHA256SUMS into dist/, stamped with VERSION (git describe)
	VERSION=$(VERSION) COMMIT=$(COMMIT) ./scripts/release.sh dist

release-check: ## build the release twice (the second cold, with an empty build cache) and fail unless the bytes are identical (minutes: 51 min on 2 cores at load 20; PLATFORMS=linux/amd64 for one)
	VERSION=$(VERSION) COMMIT=$(COMMIT) ./scripts/release-check.sh

clean: ## remove build output
	rm -rf bin dist
