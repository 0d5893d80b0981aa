package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stagedoor/stagedoor/internal/storage/internal/sqldata"
)

// fail wraps err, an error from the database, with what was being done.
// When err says the database could not be reached, the result also wraps
// storage.ErrUnavailable.
func fail(what string, err error) error {
	return sqldata.Fail("postgres", what, err, unreachable(err))
}

// unreachable reports whether err means that the database could not be
// reached, went away or cannot take writes for now, rather than that it
// refused the statement: each is a state an operator can fix, after which
// the same request succeeds.
func unreachable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"): // connection exception
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // shutting down, crashed, starting up
			return true
		case strings.HasPrefix(pe.Code, "53"): // insufficient resources: disk full, out of memory, too many connections
			return true
		case pe.Code == "25006": // read-only transaction: a standby, or the database set read-only
			return true
		case pe.Code == "58030": // I/O error
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne):
		return true
	case errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, net.ErrClosed):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		return true
	}
	return pgconn.SafeToRetry(err)
}
