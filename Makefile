# slotbook — the two commands: `make dev` and `make test`.
# sam build calls the build-<LogicalId> targets (BuildMethod: makefile).

GO       ?= go
PORT     ?= 3000
PKGS     := ./...

.PHONY: dev test vet fmt-check unit bench

## dev: run the local server with the embedded store and the demo company
dev:
	PORT=$(PORT) $(GO) run ./cmd/devserver

## test: vet, gofmt check and every test (the command CI runs)
test: fmt-check vet unit

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

unit:
	$(GO) test -race -count=1 $(PKGS)

## bench: the engine benchmarks (add BENCH=regexp to narrow, COUNT=n to repeat)
BENCH ?= .
COUNT ?= 6
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count $(COUNT) ./pkg/schedule/
