package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage/internal/sqldata"
)

// dialect is how SQLite keeps what the shared SQL stores: times as integer
// milliseconds since the Unix epoch, in UTC, and lists of names as JSON
// arrays. Every write transaction holds the database's write lock from its
// start (BEGIN IMMEDIATE), so writes take turns without locks of their own.
var dialect = &sqldata.Dialect{
	Fail:      fail,
	IsUnique:  isUnique,
	Stamp:     truncate,
	Time:      func(t time.Time) any { return t.UnixMilli() },
	NullTime:  nullMillis,
	ScanTime:  func(t *time.Time) any { return (*millis)(t) },
	Names:     names,
	ScanNames: func(list *[]string) any { return (*jsonNames)(list) },
	Limit: func(n int) any {
		if n <= 0 {
			return -1
		}
		return n
	},
	Inserted:         `rowid`,
	TokenRooms:       `(SELECT json_group_array(room) FROM refresh_token_rooms r WHERE r.id_hash = t.id_hash)`,
	InsertAuditBatch: insertAuditBatch,
	InsertRevocation: `INSERT INTO revocations (app_id, kind, value, issued_before, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`,
	RecordCatalogChange: `INSERT INTO catalog_changes (kind, app_id, name, seq)
		VALUES ($1, $2, $3, (SELECT COALESCE(MAX(seq), 0) + 1 FROM catalog_changes))
		ON CONFLICT (kind, app_id, name) DO UPDATE SET seq = excluded.seq`,
}

// truncate returns t as it reads back from the database.
func truncate(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

func nullMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// millis is a time read from a column of milliseconds, NULL being the zero
// time.
type millis time.Time

// Scan implements sql.Scanner.
func (m *millis) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*m = millis{}
	case int64:
		*m = millis(time.UnixMilli(v).UTC())
	default:
		return fmt.Errorf("time column holds %T", src)
	}
	return nil
}

// names returns list as the JSON array the database keeps.
func names(list []string) any {
	if len(list) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(list) // a list of strings always marshals
	return string(b)
}

// jsonNames is a list of names read from a JSON array.
type jsonNames []string

// Scan implements sql.Scanner.
func (n *jsonNames) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return json.Unmarshal([]byte(v), (*[]string)(n))
	case []byte:
		return json.Unmarshal(v, (*[]string)(n))
	}
	return fmt.Errorf("list column holds %T", src)
}

// conn runs the shared SQL on the database or in a transaction.
type conn struct {
	q interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
}

// Exec implements sqldata.Querier.
func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := c.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// QueryRow implements sqldata.Querier.
func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqldata.Row {
	return c.q.QueryRowContext(ctx, query, args...)
}

// Query implements sqldata.Querier.
func (c conn) Query(ctx context.Context, query string, args ...any) (sqldata.Rows, error) {
	rows, err := c.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

// sqlRows are rows as sqldata reads them.
type sqlRows struct{ *sql.Rows }

// Close implements sqldata.Rows.
func (r sqlRows) Close() { r.Rows.Close() }
