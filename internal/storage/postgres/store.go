// Package postgres is the storage backend for several nodes sharing one
// PostgreSQL database.
//
// The schema lives in the first schema of the connection's search_path,
// which the DSN may set (search_path=...). Races between nodes are settled by
// the database with conditional updates, row locks and unique constraints,
// never by reading then writing unguarded: a write to a room locks the
// room's row before reading it, so writes to one room take turns, and
// revocations and room events take their sequence numbers from counter rows
// locked until the commit, so they commit in sequence order. Changes are announced with NOTIFY in the
// same transaction as the change, on a channel named after the schema, and
// each node listens on a dedicated connection that reconnects on failure,
// at the latest when the node's pool reaches the database again, and then
// announces a storage.ChangeResync. Errors that mean the database could
// not be reached (refused or dropped connections, a server shutting down or
// starting up, timeouts) wrap storage.ErrUnavailable; the pool replaces dead
// connections by itself once the database is back.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/feed"
	"github.com/stagedoor/stagedoor/internal/storage/internal/roomdata"
	"github.com/stagedoor/stagedoor/internal/storage/internal/sqldata"
)

// Store is a storage.Storage kept in PostgreSQL.
type Store struct {
	// Rooms runs the room operations that write, the same on every
	// backend, in this store's transactions.
	roomdata.Rooms
	// Store runs the SQL both backends share on this database.
	sqldata.Store
	pool     *pgxpool.Pool
	hub      *feed.Hub
	channel  string
	listener *listener
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

// connectTimeout bounds each connection attempt when the DSN sets no
// connect_timeout, so that requests fail fast while the database is away.
const connectTimeout = 5 * time.Second

// Open connects to the database at dsn, migrates its schema and starts
// listening for changes. It returns an error wrapping storage.ErrSchemaTooNew
// if the schema was migrated by a newer version.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return openStore(ctx, dsn, time.After)
}

// openStore is Open with the clock the listener waits on between
// reconnection attempts.
func openStore(ctx context.Context, dsn string, after func(time.Duration) <-chan time.Time) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	retry := newReconnection(after)
	cfg.AfterConnect = func(context.Context, *pgx.Conn) error {
		retry.reachable()
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fail("", err)
	}
	s, err := start(ctx, pool, retry)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func start(ctx context.Context, pool *pgxpool.Pool, retry *reconnection) (*Store, error) {
	var schema string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, fail("", err)
	}
	if schema == "" {
		return nil, errors.New("postgres: no schema: the search_path names none that exists")
	}
	if err := migrate(ctx, pool, schema); err != nil {
		return nil, fail("schema "+schema, err)
	}
	s := &Store{pool: pool, hub: feed.NewHub(), channel: channelName(schema)}
	s.Rooms = s.writeRooms
	s.Store = sqldata.New(dialect, conn{pool}, s.writeTables)
	l, err := newListener(ctx, pool.Config().ConnConfig, s.channel, s.hub, retry)
	if err != nil {
		return nil, err
	}
	s.listener = l
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	s.wg.Go(func() { l.run(runCtx) })
	return s, nil
}

// channelName returns the notification channel of a schema, within the
// 63 bytes PostgreSQL allows.
func channelName(schema string) string {
	name := "stagedoor." + schema
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

// Close stops listening, ends every change subscription and closes the pool.
func (s *Store) Close() error {
	s.stop()
	s.wg.Wait()
	s.hub.Close()
	s.pool.Close()
	return nil
}

// Changes implements storage.ChangeFeed.
func (s *Store) Changes(ctx context.Context) (<-chan storage.Change, error) {
	return s.hub.Subscribe(ctx)
}

// write runs fn in a transaction together with the audit entry, if any, and
// a notification for each change fn returns.
func (s *Store) write(ctx context.Context, audit *storage.AuditEntry, fn func(tx pgx.Tx) ([]storage.Change, error)) error {
	if audit != nil {
		if err := audit.Validate(); err != nil {
			return err
		}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fail("begin", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	changes, err := fn(tx)
	if err != nil {
		return err
	}
	if audit != nil {
		if _, err := sqldata.InsertAudit(ctx, dialect, conn{tx}, *audit); err != nil {
			return err
		}
	}
	for _, c := range changes {
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel, encodeChange(c)); err != nil {
			return fail("notify", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fail("commit", err)
	}
	return nil
}

// writeTables is write for the shared SQL.
func (s *Store) writeTables(ctx context.Context, audit *storage.AuditEntry, fn func(tx sqldata.Querier) ([]storage.Change, error)) error {
	return s.write(ctx, audit, func(tx pgx.Tx) ([]storage.Change, error) { return fn(conn{tx}) })
}

// pgCode returns the SQLSTATE of err, or "".
func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// isUnique reports whether err is a violated unique constraint.
func isUnique(err error) bool { return pgCode(err) == "23505" }
