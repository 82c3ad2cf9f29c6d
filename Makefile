# pagerlens — the two commands: `make demo` and `make test`.
GO        ?= go
BIN       ?= bin/pagerlens
PKGS      ?= ./...
# DuckDB's Go bindings link a prebuilt static library through cgo.
export CGO_ENABLED = 1
# duckdb_arrow enables duckdb-go's Arrow interface, through which the store
# appends each batch (store/append_arrow.go; without the tag it falls back
# to the Appender, ~1.3x slower). Exported so that the test binaries that
# build pagerlens themselves (test/e2e) get it too.
TAGS ?= duckdb_arrow
export GOFLAGS := $(strip $(GOFLAGS) -tags=$(TAGS))

.PHONY: all build test lint licenses bench demo fuzz clean image deploy-files

all: build

# The build's version, for `pagerlens version` and bug reports.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/pagerlens

## test: vet, gofmt check and every test (embedded Kafka broker, real DuckDB
## files, real HTTP servers; the Prometheus tests use prometheus/promtool from
## PATH and are skipped with a notice when they are missing, except under CI).
test: lint
	$(GO) test -count=1 -timeout 20m $(PKGS)
	@# The store's fallback append path, for builds without the tag.
	GOFLAGS= $(GO) test -count=1 ./store
	@# The Helm chart, rendered and linted by Helm's library: a module of its
	@# own, so that Helm's dependencies stay out of go.mod (deploy/helm).
	cd deploy/helm && GOFLAGS= $(GO) test -count=1 ./...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	GOFLAGS= $(GO) vet ./store
	cd deploy/helm && GOFLAGS= $(GO) vet ./...

## licenses: check the licence of every Go module the binary links (allowed:
## Apache-2.0, MIT, BSD-2/3-Clause, ISC, MPL-2.0, or reviewed per module in
## internal/licenses) and rewrite docs/licenses.md; `make test` fails when a
## licence is unknown or not allowed, or when docs/licenses.md is stale.
licenses:
	$(GO) test -count=1 -run '^TestThirdPartyLicenses$$' ./internal/licenses -update

## bench: every stage's go test benchmark, then `pagerlens bench`: one table,
## each figure next to its limit measured in the same run, targets met or
## missed (BENCHFLAGS, e.g. --write to save bench/results.md; full sizes:
## BENCHFLAGS='--events 1000000 --stored 50000000').
## The ingest package's benchmarks (BenchmarkConsume, BenchmarkIngestFile)
## default to 1M events each (~2 × 1-2 min of producing alone, then the
## consume); pagerlens bench measures both stages again, so here they run at
## BENCHEVENTS (run `go test ./ingest -bench .` alone for the full size).
BENCHFLAGS ?=
BENCHEVENTS ?= 200000
bench: build
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m $$($(GO) list $(PKGS) | grep -v '/ingest$$')
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./ingest -bench.events $(BENCHEVENTS)
	./$(BIN) bench $(BENCHFLAGS)

## demo: the whole pipeline on synthetic data, with nothing else installed.
demo: build
	./$(BIN) demo

## fuzz: each fuzz target for a short time.
FUZZTIME ?= 10s
fuzz:
	@for pkg in ./event ./ingest/decode; do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## image: the container image from the Dockerfile (docs/operations.md#container)
## with docker if its daemon answers, else podman, else buildah (IMAGE_BUILDER);
## IMAGE_BUILD_FLAGS passes more, e.g. --build-arg RUNTIME_IMAGE=… for a
## mirrored base image.
IMAGE ?= pagerlens:dev
IMAGE_BUILDER ?= $(firstword $(shell docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && echo docker) \
                  $(foreach b,podman buildah,$(shell command -v $(b) 2>/dev/null)))
IMAGE_BUILD_FLAGS ?=
# buildah and podman write OCI images by default, which have no HEALTHCHECK.
IMAGE_FORMAT = $(if $(filter docker,$(notdir $(IMAGE_BUILDER))),,--format docker)
image:
	@test -n "$(IMAGE_BUILDER)" || { echo "make image: needs docker, podman or buildah"; exit 1; }
	$(IMAGE_BUILDER) build $(IMAGE_FORMAT) $(IMAGE_BUILD_FLAGS) -t $(IMAGE) .

## deploy-files: rewrite the copies under deploy/ of what pagerlens writes:
## the Helm chart's dashboards (dashboards write, max and sum) and rules
## (deploy/prometheus), and the compose stack's Grafana provisioning. A test
## of ./deploy fails when they are stale.
deploy-files:
	$(GO) test -count=1 -run '^TestChartFilesUpToDate$$' ./deploy -update

clean:
	rm -rf bin pagerlens-demo
