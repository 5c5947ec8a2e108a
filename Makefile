# Gongjian — the two commands are `make run` and `make test`; `make help` lists the rest.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Every module of the workspace (go.work), found by go itself.
MODULES := $(shell go list -m -f '{{.Dir}}' 2>/dev/null)
# Code generators are pinned in deploy/tools/go.mod and run through `go tool`.
TOOLS := GOWORK=off go tool -modfile=$(CURDIR)/deploy/tools/go.mod
BUF := cd proto && $(TOOLS) buf
HELM := cd deploy/tools && $(TOOLS) helm
TEST_FLAGS ?= -count=1 -timeout 12m
BENCH ?= .

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: run
run: ## start the whole system on this machine (PostgreSQL, NATS, services, gateway, demo data)
	@mkdir -p .data/bin
	go build -o .data/bin/gongjian-local ./deploy/local/cmd/gongjian-local
	@exec .data/bin/gongjian-local $(ARGS)

.PHONY: test
test: ## run every module's tests against real PostgreSQL and NATS started by the tests
	@for m in $(MODULES); do echo "== $$m"; (cd $$m && go test $(TEST_FLAGS) ./...); done

.PHONY: bench
bench: ## run the benchmarks (BENCH=regexp to choose)
	@for m in $(MODULES); do (cd $$m && go test -run '^$$' -bench '$(BENCH)' -benchmem -count=1 -timeout 60m ./...); done

.PHONY: generate
generate: ## regenerate Go, gRPC, gateway and OpenAPI code from proto/
	rm -rf proto/gen proto/openapi/*.json
	$(BUF) format -w --path gongjian
	$(BUF) generate

.PHONY: third-party-protos
third-party-protos: ## re-print proto/third_party from the Go descriptors the project depends on
	rm -rf proto/third_party/google proto/third_party/buf
	cd proto && $(TOOLS) gongjian.dev/deploy/tools/protoprint third_party

.PHONY: lint
lint: ## buf lint, go vet, gofmt
	$(BUF) lint
	@for m in $(MODULES); do (cd $$m && go vet ./...); done
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: chart
chart: ## render and check the Helm chart
	cd deploy/chart && GOWORK=off go test -count=1 ./...
	$(HELM) lint --strict ../../charts/gongjian
	$(HELM) lint --strict ../../charts/gongjian -f ../chart/testdata/production.yaml

.PHONY: images
images: ## build one OCI image per service into .data/images (no daemon, no registry) and check them
	cd deploy/images && GOWORK=off go run ./cmd/imagebuild -root ../.. -out ../../.data/images
	cd deploy/images && GOWORK=off go vet ./... && IMAGES_DIR=$(CURDIR)/.data/images GOWORK=off go test -count=1 ./...

.PHONY: verify
verify: generate lint chart images ## prove generated code is current, lint, check the Helm chart and the images, and build each module on its own
	@if [ -n "$$(git status --porcelain -- proto)" ]; then \
		echo "generated code is not current; run make generate and commit:"; git status --porcelain -- proto; exit 1; fi
	@for m in $(MODULES); do (cd $$m && GOWORK=off go build ./... && GOWORK=off go vet ./...); done
	@echo "verify: ok"
