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
# A package's tests end by 30 minutes: the longest (the demo's loads of the
# city, the whole system's faults) take 5–6 minutes on the machines we know,
# and three to four times that on one whose CPU runs that much slower.
TEST_FLAGS ?= -count=1 -timeout 30m
# The packages of every module, in one go test: it runs two test binaries at
# a time on the machines we know (-p, their cores). The three suites that
# start whole systems (the demo's loads, the system's end-to-end tests, the
# console's browser tests: 5-7 minutes each) come first, so that they take
# the two places in turn while the other runs the rest, instead of the
# browser tests running alone at the end, module by module.
LONG_TESTS := gongjian.dev/deploy/local/demo gongjian.dev/deploy/local/e2e gongjian.dev/services/console/e2e
TEST_PKGS := $(LONG_TESTS) $(shell go list -m -f '{{.Path}}/...' 2>/dev/null)
BENCH ?= .

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z][a-z0-9-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: run
run: ## start the whole system on this machine (PostgreSQL, NATS, services, gateway, demo data)
	@mkdir -p .data/bin
	go build -o .data/bin/gongjian-local ./deploy/local/cmd/gongjian-local
	@exec .data/bin/gongjian-local $(ARGS)

.PHONY: test
test: console-deps browser ## run every module's tests against real PostgreSQL and NATS started by the tests, and the console's
	cd $(CONSOLE) && npm run --silent gen:api && npx vitest run
	go test $(TEST_FLAGS) $(TEST_PKGS)

# The web console: its source in services/console, built with npm from the
# lockfile into the gateway's tree (services/gateway/internal/consoleui/dist),
# where go:embed takes it. The built files are committed, so make run needs
# no Node.js; make verify rebuilds them and fails on any difference.
CONSOLE := services/console
CONSOLE_DIST := services/gateway/internal/consoleui/dist

.PHONY: console-deps
console-deps: ## install the console's npm packages from its lockfile (when the lockfile changed)
	@if [ ! -f $(CONSOLE)/node_modules/.package-lock.json ] || [ $(CONSOLE)/package-lock.json -nt $(CONSOLE)/node_modules/.package-lock.json ]; then \
		cd $(CONSOLE) && npm ci --no-audit --no-fund; fi

.PHONY: console
console: console-deps ## build the web console into the gateway (commit the result)
	cd $(CONSOLE) && npm run build

.PHONY: browser
browser: ## install Debian's headless Chromium for the browser tests, when missing
	@$(CONSOLE)/e2e/install-chromium.sh

.PHONY: bench
bench: ## run the benchmarks (BENCH=regexp to choose)
	@for m in $(MODULES); do (cd $$m && go test -run '^$$' -bench '$(BENCH)' -benchmem -count=1 -timeout 60m ./...); done

# make perf: the whole system as make run starts it, a seeded city, and
# every figure of the README's "make perf" table beside its ceiling of the
# same run. PERF_MEMBERS=50000 PERF_ORGS=5000 is a quick run.
export PERF_MEMBERS PERF_ORGS PERF_IMPORT_ROWS PERF_SECONDS PERF_CLIENTS PERF_ONLY PERF_PROFILE

.PHONY: perf
perf: ## measure the system against this machine's ceilings: prints the table, writes .data/perf.json (PERF_MEMBERS=50000 for a quick run)
	@mkdir -p .data/bin
	go build -o .data/bin/gongjian-perf ./deploy/local/cmd/gongjian-perf
	.data/bin/gongjian-perf

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

# make k8s-test: the chart on a real kube-apiserver (pinned in
# deploy/k8stest/kube, built once per version into .data/k8s) with Debian's
# etcd, and its pods run with runc from the images of `make images`.
KUBE_VERSION = $(shell awk '$$1 == "k8s.io/kubernetes" {print $$2}' deploy/k8stest/kube/go.mod)
KUBE_APISERVER = .data/k8s/kube-apiserver-$(KUBE_VERSION)
K8S_HELM = .data/k8s/helm

.PHONY: k8s-test
k8s-test: images ## install the Helm chart on a real Kubernetes API server and run its pods from the images (see README)
	deploy/k8stest/install-deps.sh
	@$(MAKE) --no-print-directory $(KUBE_APISERVER) $(K8S_HELM)
	cd deploy/k8stest && GOWORK=off go vet ./...
	cd deploy/k8stest && KUBE_APISERVER=$(CURDIR)/$(KUBE_APISERVER) HELM=$(CURDIR)/$(K8S_HELM) \
		IMAGES_DIR=$(CURDIR)/.data/images K8STEST_STATE=$(CURDIR)/.data/k8stest \
		GOWORK=off go test -count=1 -v -timeout 25m ./...

# The version goes into the binary as a release build's would: Helm refuses
# the v0.0.0-master of a plain `go build`.
.data/k8s/kube-apiserver-%: deploy/k8stest/kube/go.mod deploy/k8stest/kube/go.sum
	@mkdir -p $(@D)
	@echo "building kube-apiserver $* (about 6 min the first time, then cached)"
	cd deploy/k8stest/kube && GOWORK=off go build -trimpath -o $(CURDIR)/$@ -ldflags "-s -w \
		-X k8s.io/component-base/version.gitVersion=$* \
		-X k8s.io/component-base/version.gitMajor=$(word 1,$(subst ., ,$(patsubst v%,%,$*))) \
		-X k8s.io/component-base/version.gitMinor=$(word 2,$(subst ., ,$(patsubst v%,%,$*)))" \
		k8s.io/kubernetes/cmd/kube-apiserver

$(K8S_HELM): deploy/tools/go.mod deploy/tools/go.sum
	@mkdir -p $(@D)
	cd deploy/tools && GOWORK=off go build -trimpath -o $(CURDIR)/$@ helm.sh/helm/v3/cmd/helm

.PHONY: verify
verify: generate console lint chart images ## prove generated code and the built console are current, lint, check the Helm chart and the images, and build each module on its own
	@if [ -n "$$(git status --porcelain -- proto)" ]; then \
		echo "generated code is not current; run make generate and commit:"; git status --porcelain -- proto; exit 1; fi
	@if [ -n "$$(git status --porcelain -- $(CONSOLE_DIST) $(CONSOLE)/package-lock.json)" ]; then \
		echo "the built console is not current; run make console and commit:"; git status --porcelain -- $(CONSOLE_DIST) $(CONSOLE)/package-lock.json; exit 1; fi
	@for m in $(MODULES); do (cd $$m && GOWORK=off go build ./... && GOWORK=off go vet ./...); done
	@echo "verify: ok"
