# The test suite runs against the embedded SQLite backend and PostgreSQL:
# the database STAGEDOOR_TEST_POSTGRES names, or else a cluster the tests
# start themselves (as root, with PostgreSQL's server installed). The
# TypeScript client's suite needs Node 20 with npm, and Debian's chromium
# for its browser test; so do the console's browser tests, which also take
# axe-core from npm. The client is built first: the console embeds a copy
# of it, which its tests check is not stale.
#
# The LiveKit end-to-end tests (e2e/livekit, a module of their own) run too
# when a livekit-server binary is found: LIVEKIT_SERVER, else
# livekit-server on PATH.

.PHONY: test test-js test-console-deps vet build bench e2e-livekit

build:
	go build -o stagedoor ./cmd/stagedoor

vet:
	go vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: vet test-js test-console-deps
	STAGEDOOR_REQUIRE_CLIENT_BUILD=1 go test -race -count=1 ./...
	@$(MAKE) --no-print-directory e2e-livekit

test-console-deps:
	cd internal/console/testdata/axe && npm ci

test-js:
	cd clients/js && npm ci && npm run build && npm test

e2e-livekit:
	@if [ -n "$$LIVEKIT_SERVER" ] || command -v livekit-server >/dev/null 2>&1; then \
		cd e2e/livekit && go vet ./... && go test -race -count=1 ./...; \
	else \
		echo "e2e/livekit skipped: no livekit-server (set LIVEKIT_SERVER, see docs/livekit.md)"; \
	fi

bench:
	go test -run '^$$' -bench . -benchmem -count 3 ./token/
