package sqldata

import (
	"errors"
	"fmt"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// Fail wraps err, an error from the database of backend, with what was
// being done, if anything. Where the database could not take the statement
// for now (unavailable), the result also wraps storage.ErrUnavailable.
func Fail(backend, what string, err error, unavailable bool) error {
	prefix := backend
	if what != "" {
		prefix += ": " + what
	}
	if unavailable && !errors.Is(err, storage.ErrUnavailable) {
		return fmt.Errorf("%s: %w: %w", prefix, storage.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", prefix, err)
}
