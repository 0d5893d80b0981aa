package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/internal/sqldata"
)

// dialect is how PostgreSQL keeps what the shared SQL stores, and what its
// writes lock: times as TIMESTAMPTZ, to the microsecond, lists of names as
// TEXT[]; rows, tables and advisory locks settle races between nodes.
var dialect = &sqldata.Dialect{
	Fail:      fail,
	IsUnique:  isUnique,
	Stamp:     stamp,
	Time:      func(t time.Time) any { return stamp(t) },
	NullTime:  nullStamp,
	ScanTime:  func(t *time.Time) any { return (*timestamptz)(t) },
	Names:     names,
	ScanNames: func(list *[]string) any { return list },
	Limit: func(n int) any {
		if n <= 0 {
			return nil
		}
		return n
	},
	Inserted:         `ord`,
	TokenRooms:       `ARRAY(SELECT room FROM refresh_token_rooms r WHERE r.id_hash = t.id_hash ORDER BY room)`,
	InsertAuditBatch: insertAuditBatch,
	// The sequence number comes from the revocation_seq row, which stays
	// locked until the transaction ends: revocations therefore commit in
	// sequence order.
	InsertRevocation: `WITH s AS (UPDATE revocation_seq SET last = last + 1 RETURNING last)
		INSERT INTO revocations (seq, app_id, kind, value, issued_before, created_at, expires_at)
		VALUES ((SELECT last FROM s), $1, $2, $3, $4, $5, $6) RETURNING seq`,
	// Catalog changes are numbered likewise, from the catalog_seq row.
	RecordCatalogChange: `WITH s AS (UPDATE catalog_seq SET last = last + 1 RETURNING last)
		INSERT INTO catalog_changes (kind, app_id, name, seq) VALUES ($1, $2, $3, (SELECT last FROM s))
		ON CONFLICT (kind, app_id, name) DO UPDATE SET seq = excluded.seq`,
	ForUpdate:         ` FOR UPDATE`,
	LockSigningKeys:   `LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE`,
	LockRefreshTokens: lockRefreshTokens,
}

// lockRefreshTokens serialises, until tx ends, the app's refresh token
// writes with its revocations: creating and rotating tokens take the lock
// shared, revocations exclusive. A revocation's DELETE therefore starts
// after every token write it could miss has committed, and a token write
// that starts after a revocation reads what the revocation deleted. Row
// locks alone would not do: a statement in READ COMMITTED never sees rows
// inserted after it began.
func lockRefreshTokens(ctx context.Context, tx sqldata.Querier, appID string, exclusive bool) error {
	lock := "pg_advisory_xact_lock_shared"
	if exclusive {
		lock = "pg_advisory_xact_lock"
	}
	_, err := tx.Exec(ctx, `SELECT `+lock+`(hashtextextended('stagedoor.refresh_tokens/' || current_schema() || '/' || $1, 0))`, appID)
	if err != nil {
		return fail("lock refresh tokens", err)
	}
	return nil
}

// insertAuditBatch inserts the entries by one statement, rows numbered in
// their order: a round trip per entry costs more than the entries.
func insertAuditBatch(ctx context.Context, tx sqldata.Querier, entries []storage.AuditEntry) error {
	n := len(entries)
	times, details := make([]time.Time, n), make([][]byte, n)
	actors, actions, apps, targets := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, e := range entries {
		times[i], actors[i], actions[i], apps[i], targets[i], details[i] = e.Time, e.Actor, e.Action, e.AppID, e.Target, e.Detail
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (occurred_at, actor, action, app_id, target, detail)
		SELECT t, ac, an, ap, tg, d FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[])
			WITH ORDINALITY AS u(t, ac, an, ap, tg, d, i) ORDER BY i`,
		times, actors, actions, apps, targets, details)
	return err
}

// stamp returns t as the database keeps it: to the microsecond, in UTC.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// nullStamp returns t as the database keeps it, or NULL for a zero time.
func nullStamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return stamp(t)
}

// timestamptz is a time read from a TIMESTAMPTZ column, in UTC, NULL being
// the zero time.
type timestamptz time.Time

// ScanTimestamptz implements pgtype.TimestamptzScanner.
func (t *timestamptz) ScanTimestamptz(v pgtype.Timestamptz) error {
	*t = timestamptz{}
	if v.Valid {
		*t = timestamptz(v.Time.UTC())
	}
	return nil
}

// names returns list for a TEXT[] column, never NULL.
func names(list []string) any {
	if list == nil {
		return []string{}
	}
	return list
}

// conn runs the shared SQL on the pool or in a transaction.
type conn struct {
	q interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	}
}

// Exec implements sqldata.Querier.
func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := c.q.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

// QueryRow implements sqldata.Querier.
func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqldata.Row {
	return c.q.QueryRow(ctx, query, args...)
}

// Query implements sqldata.Querier.
func (c conn) Query(ctx context.Context, query string, args ...any) (sqldata.Rows, error) {
	return c.q.Query(ctx, query, args...)
}
