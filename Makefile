# kassa: `make run` starts kassa with a demo merchant; `make test` runs every test.
# Both install what is missing (PostgreSQL server, Chromium) on Debian first.

GO        ?= go
BIN       := bin/kassa
# Fuzz targets run briefly in `make test`, counted in executions: a time
# budget races Go 1.26's fuzz coordinator at its deadline (go.dev/issue/75804,
# a spurious "context deadline exceeded"). Longer by hand: make fuzz FUZZTIME=5m
FUZZTIME  ?= 30000x
TESTFLAGS ?=

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: deps
deps: ## Install missing system dependencies (PostgreSQL server)
	@scripts/ensure-deps.sh postgres

.PHONY: test-deps
test-deps: ## Install missing test dependencies (PostgreSQL server, Chromium for the browser tests)
	@scripts/ensure-deps.sh postgres chromium

.PHONY: build
build: ## Build bin/kassa
	$(GO) build -o $(BIN) ./cmd/kassa

.PHONY: run
run: deps build ## Start kassa on the embedded PostgreSQL in ./var with a demo merchant
	$(BIN) serve --demo

.PHONY: test
test: test-deps build lint ## Run the whole test suite (one ephemeral PostgreSQL for the run)
	$(BIN) testenv -- $(GO) test -count=1 $(TESTFLAGS) ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 30000x: executions; or a duration such as 5m)
	@scripts/fuzz.sh $(FUZZTIME)

.PHONY: generate
generate: ## Regenerate gqlgen code from schema.graphqls and schema/*.graphqls, and the README's table of error codes
	$(GO) tool gqlgen generate
	$(GO) run ./fault/cmd/codes

.PHONY: vendor
vendor: ## Refresh the vendored browser code (web/static/vendor) from npm at the pinned versions
	@scripts/vendor.sh

.PHONY: lint
lint: ## gofmt, go vet and golangci-lint with .golangci.yml (built from tools/lint)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)
	$(GO) vet ./...
	@$(GO) build -C tools/lint -o ../../bin/golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint
	bin/golangci-lint run ./...

.PHONY: clean
clean: ## Remove build output (keeps ./var, the local database)
	rm -rf bin

.PHONY: bench
bench: deps build ## Benchmark the flows against a same-run pgbench baseline (under 10 min; JSON in bin/bench.json)
	$(BIN) bench --json bin/bench.json $(BENCHFLAGS)
