# chainhound: the two commands a newcomer needs are `make demo` and `make test`.
GO      ?= go
BIN     := bin/chainhound
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: build demo dev test bench lint clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/chainhound

# A scripted theft on an embedded chain, end to end.
demo: build
	./$(BIN) demo

# The whole suite, with real geth --dev, btcd regtest and redis-server
# started by the tests (built once into the user cache; about 2.5 minutes
# the first time).
test:
	./.ci/run

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

clean:
	rm -rf bin
