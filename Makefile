# The test suite runs against the embedded SQLite backend and PostgreSQL:
# the database STAGEDOOR_TEST_POSTGRES names, or else a cluster the tests
# start themselves (as root, with PostgreSQL's server installed). The
# TypeScript client's suite needs Node 20 with npm, and Debian's chromium
# for its browser test; so do the console's browser tests, which also take
# axe-core from npm. The client is built first: the console embeds a copy
# of it, which its tests check is not stale.

.PHONY: test test-js test-console-deps vet build bench

build:
	go build -o stagedoor ./cmd/stagedoor

vet:
	go vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: vet test-js test-console-deps
	STAGEDOOR_REQUIRE_CLIENT_BUILD=1 go test -race -count=1 ./...

test-console-deps:
	cd internal/console/testdata/axe && npm ci

test-js:
	cd clients/js && npm ci && npm run build && npm test

bench:
	go test -run '^$$' -bench . -benchmem -count 3 ./token/
