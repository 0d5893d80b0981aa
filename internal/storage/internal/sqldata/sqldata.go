// Package sqldata is the SQL that both backends run: every table's
// statements, scans and rules, written once over a Querier (the backend's
// database or one of its transactions) and a Dialect (how the backend keeps
// values and what it must lock). Queries number their arguments $1, $2...,
// PostgreSQL's placeholders, which SQLite reads as well.
//
// A backend keeps what truly differs: connecting, migrating, running write
// transactions and announcing their changes, numbering room events, and
// writing a batch of audit entries at once.
package sqldata

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// Querier runs statements on a backend's database or in one of its
// transactions.
type Querier interface {
	// Exec runs a statement and returns how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// QueryRow runs a query for one row; its Scan returns an error wrapping
	// sql.ErrNoRows if there is none.
	QueryRow(ctx context.Context, query string, args ...any) Row
	// Query runs a query for any number of rows.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
}

// Row is a row a query returned.
type Row interface {
	Scan(dest ...any) error
}

// Rows are the rows a query returns, read one at a time.
type Rows interface {
	Row
	Next() bool
	Err() error
	Close()
}

// Dialect is how a backend's SQL differs from the SQL of this package: how
// it keeps times and lists of names, and what a write must lock beyond what
// its transaction holds.
type Dialect struct {
	// Fail wraps err, an error from the database, with what was being
	// done, and marks it storage.ErrUnavailable where the database could
	// not take the statement for now.
	Fail func(what string, err error) error
	// IsUnique reports whether err is a violated primary key or unique
	// constraint.
	IsUnique func(err error) bool

	// Stamp returns t as the database keeps it; a zero t stays zero.
	Stamp func(t time.Time) time.Time
	// Time returns the argument that stores t, as Stamp keeps it, in a
	// time column.
	Time func(t time.Time) any
	// NullTime is Time for a column that may be NULL: NULL for a zero t.
	NullTime func(t time.Time) any
	// ScanTime returns the scan destination of a time column that sets
	// *t, to the zero time for NULL.
	ScanTime func(t *time.Time) any
	// Names returns the argument that stores a list of names, never NULL.
	Names func(list []string) any
	// ScanNames returns the scan destination of a list of names that sets
	// *list.
	ScanNames func(list *[]string) any
	// Limit returns the argument of a LIMIT clause: n, or no cap at all
	// for n zero or less.
	Limit func(n int) any

	// Inserted is the column that orders rows of sessions in the order
	// they were inserted.
	Inserted string
	// TokenRooms is the expression of the rooms of the refresh token t, as
	// a list of names.
	TokenRooms string
	// InsertRevocation inserts a revocation of $1 app_id, $2 kind, $3
	// value, $4 issued_before, $5 created_at and $6 expires_at, and
	// returns its seq: strictly increasing in commit order.
	InsertRevocation string
	// RecordCatalogChange records the change of the catalog entry of $1
	// kind, $2 app_id and $3 name, numbering it after every catalog
	// change committed before: its seq is strictly increasing in commit
	// order.
	RecordCatalogChange string

	// InsertAuditBatch inserts audit entries, whose times are set, in one
	// go, numbering them in their order.
	InsertAuditBatch func(ctx context.Context, tx Querier, entries []storage.AuditEntry) error

	// ForUpdate is the clause that makes a SELECT lock the rows it reads
	// until the transaction ends, or empty where a write transaction holds
	// the whole database.
	ForUpdate string
	// LockSigningKeys is the statement that holds back other writers of
	// signing keys until the transaction ends, or empty.
	LockSigningKeys string
	// LockRefreshTokens holds back, until the transaction ends, writes of
	// the app's refresh tokens (shared) or its revocations (exclusive)
	// that could race, or is nil.
	LockRefreshTokens func(ctx context.Context, tx Querier, appID string, exclusive bool) error
}

// WriteFunc runs fn in a write transaction together with the audit entry,
// if any, and publishes the changes fn returns once the transaction
// committed.
type WriteFunc func(ctx context.Context, audit *storage.AuditEntry, fn func(tx Querier) ([]storage.Change, error)) error

// Store is the part of storage.Storage whose SQL both backends share: a
// backend embeds it and adds the rest.
type Store struct {
	d     *Dialect
	db    Querier
	write WriteFunc
}

// New returns the shared operations of a backend in dialect d, which reads
// from db outside transactions and writes through write.
func New(d *Dialect, db Querier, write WriteFunc) Store {
	return Store{d: d, db: db, write: write}
}

// collect scans every row with scan and closes rows.
func collect[T any](d *Dialect, what string, rows Rows, err error, scan func(Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, d.Fail(what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, d.Fail(what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, d.Fail(what, err)
	}
	return out, nil
}

// one scans row with scan. If there is no row, the error wraps
// storage.ErrNotFound and names what was not found: format, whose verbs
// take args.
func one[T any](d *Dialect, what string, row Row, scan func(Row) (T, error), format string, args ...string) (T, error) {
	v, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		values := make([]any, 0, len(args)+1)
		for _, a := range args {
			values = append(values, a)
		}
		return v, fmt.Errorf(format+": %w", append(values, storage.ErrNotFound)...)
	}
	if err != nil {
		return v, d.Fail(what, err)
	}
	return v, nil
}

// exists reports whether query, selecting one row by args, finds it.
func exists(ctx context.Context, d *Dialect, tx Querier, query string, args ...any) (bool, error) {
	var one int
	err := tx.QueryRow(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, d.Fail("", err)
	}
	return true, nil
}

// requireApp returns storage.ErrNotFound if the app does not exist.
func requireApp(ctx context.Context, d *Dialect, tx Querier, appID string) error {
	ok, err := exists(ctx, d, tx, `SELECT 1 FROM apps WHERE id = $1`, appID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("app %q: %w", appID, storage.ErrNotFound)
	}
	return nil
}

// orNow returns t, or the current time if t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}
