package sqlite

import (
	"errors"

	"github.com/stagedoor/stagedoor/internal/storage/internal/sqldata"
	sqlitedriver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// fail wraps err, an error from the database, with what was being done.
// When the database could not take the statement for now, the result also
// wraps storage.ErrUnavailable: see unreachable.
func fail(what string, err error) error {
	return sqldata.Fail("sqlite", what, err, unreachable(err))
}

// unreachable reports whether err means that the database could not be
// used for now, rather than that it refused the statement: it stayed locked
// by another process beyond the busy timeout, its disk is full, its files
// cannot be opened, read or written, or they are read-only. Each is a
// state of the machine an operator can fix, after which the same request
// succeeds. Extended codes (SQLITE_IOERR_WRITE...) count as their primary.
func unreachable(err error) bool {
	var e *sqlitedriver.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY:
		return true
	}
	return false
}
