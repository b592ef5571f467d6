# igexport — build, demo, test, bench.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
TOOLS := $(CURDIR)/.tools
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
PORT ?= 8089
DEMO_ADDR ?= 127.0.0.1:$(PORT)
DEMO_TOKEN ?= igfake-demo-token

.PHONY: build demo test test-short tools bench vet clean

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/igexport ./cmd/igexport
	$(GO) build -trimpath -o $(BIN)/igfake ./cmd/igfake

# demo: start the emulator on loopback, run the main job into ./lake, show what was written.
# PORT=8090 (or DEMO_ADDR=host:port) picks another port; a port in use stops the demo at once.
demo: build
	@set -uo pipefail; DEMO_ADDR=$(DEMO_ADDR); \
	host=$${DEMO_ADDR%:*}; port=$${DEMO_ADDR##*:}; \
	if (exec 3<>/dev/tcp/$$host/$$port) 2>/dev/null; then \
	  echo "make demo: port $$port is in use (another igfake?): stop it, or pick another port: make demo PORT=$$((port+1))" >&2; exit 1; fi; \
	$(BIN)/igfake -addr $$DEMO_ADDR -accounts 2 -media 120 -stories 3 -token $(DEMO_TOKEN) -seed 1 & fake=$$!; \
	trap 'kill $$fake 2>/dev/null || true' EXIT; \
	for i in $$(seq 1 100); do (exec 3<>/dev/tcp/$$host/$$port) 2>/dev/null && break; \
	  kill -0 $$fake 2>/dev/null || { echo "make demo: igfake did not start on $$DEMO_ADDR" >&2; exit 1; }; sleep 0.1; done; \
	IG_ACCESS_TOKEN=$(DEMO_TOKEN) IGFAKE_URL=http://$$DEMO_ADDR $(BIN)/igexport apply -config examples/demo.hcl; rc=$$?; \
	[ $$rc -eq 0 ] || [ $$rc -eq 3 ] || exit $$rc; \
	echo; echo "== Parquet files written under ./lake, per stream"; \
	for d in lake/*/; do n=$$(find "$$d" -name '*.parquet' | wc -l); [ "$$n" -gt 0 ] && printf '  %-26s %5d files  e.g. %s\n' "$$(basename $$d)" "$$n" "$$(find "$$d" -name '*.parquet' | sort | tail -1)"; done; \
	echo "  state and run summaries: lake/_igexport/"; \
	exit $$rc

tools:
	./scripts/install-tools.sh

# test: installs the pinned emulators and DuckDB into ./.tools, then runs every test with the race detector.
test: tools
	IGEXPORT_REQUIRE_TOOLS=1 $(GO) test -race -count=1 -timeout 25m ./...

# test-short: Go tests only; tests needing ./.tools skip.
test-short:
	$(GO) test -race ./...

bench: build
	$(GO) run ./cmd/igbench

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

clean:
	rm -rf $(BIN) lake igexport-data
