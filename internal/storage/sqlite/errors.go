package sqlite

import (
	"errors"
	"fmt"

	"github.com/stagedoor/stagedoor/internal/storage"
	sqlitedriver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// fail wraps err, an error from the database, with what was being done.
// When the database stayed locked by another process beyond the busy
// timeout, or its file could not be opened, the result also wraps
// storage.ErrUnavailable.
func fail(what string, err error) error {
	prefix := "sqlite"
	if what != "" {
		prefix += ": " + what
	}
	if unreachable(err) && !errors.Is(err, storage.ErrUnavailable) {
		return fmt.Errorf("%s: %w: %w", prefix, storage.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// unreachable reports whether err means that the database could not be
// used for now, rather than that it refused the statement.
func unreachable(err error) bool {
	var e *sqlitedriver.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_CANTOPEN:
		return true
	}
	return false
}
