# The test suite runs against the embedded SQLite backend and, when
# STAGEDOOR_TEST_POSTGRES is set, against PostgreSQL too.
STAGEDOOR_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export STAGEDOOR_TEST_POSTGRES

.PHONY: test vet build bench

build:
	go build -o stagedoor ./cmd/stagedoor

vet:
	go vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: vet
	go test -race -count=1 ./...

bench:
	go test -run '^$$' -bench . -benchmem -count 3 ./token/
