// Package sqlite is the embedded storage backend: one SQLite database file,
// for a single node or for development.
//
// The database runs in WAL mode with synchronous=FULL, so a commit that
// returned survives a crash of the process or the machine. Write transactions
// begin with BEGIN IMMEDIATE and wait on a busy timeout, so concurrent
// writers queue instead of failing. Changes are fanned out in-process after
// each commit. The database is not meant to be served by several
// processes, but the command line writes it while a server runs: commits
// of other processes are announced as a storage.ChangeExternal within
// watchInterval.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/feed"
	"github.com/stagedoor/stagedoor/internal/storage/internal/roomdata"
	"github.com/stagedoor/stagedoor/internal/storage/internal/sqldata"
	sqlitedriver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Store is a storage.Storage kept in a SQLite database file.
type Store struct {
	// Rooms runs the room operations that write, the same on every
	// backend, in this store's transactions.
	roomdata.Rooms
	// Store runs the SQL both backends share on this database.
	sqldata.Store
	db  *sql.DB
	hub *feed.Hub
	// writer admits one write transaction of this process at a time.
	// SQLite runs one writer anyway; queuing here instead of in SQLite's
	// busy handler, which sleeps and retries, keeps waits short and fair.
	writer chan struct{}
	// stopWatch ends the watch for other processes' commits; watching is
	// closed once it has.
	stopWatch context.CancelFunc
	watching  chan struct{}
}

// Open opens, creating it if needed, the database at path and migrates its
// schema. It returns an error wrapping storage.ErrSchemaTooNew if the
// database was migrated by a newer version. The database and the -wal and
// -shm files beside it are readable by their owner only, like the master
// key: they hold the audit log and sealed secrets.
func Open(ctx context.Context, path string) (*Store, error) {
	// Created before SQLite opens it, the file never exists with a wider
	// mode, and SQLite gives the -wal and -shm files it creates the mode
	// of the database.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	f.Close()
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxConns + 1)
	db.SetMaxIdleConns(maxConns + 1)
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if err := private(path); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	watcher, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fail("open", err)
	}
	s := &Store{db: db, hub: feed.NewHub(), writer: make(chan struct{}, 1), watching: make(chan struct{})}
	s.Rooms = s.writeRooms
	s.Store = sqldata.New(dialect, conn{db}, s.write)
	var watchCtx context.Context
	watchCtx, s.stopWatch = context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		defer close(s.watching)
		s.watch(watchCtx, watcher)
	}()
	return s, nil
}

// maxConns caps the connections that run statements, and so with the one
// that watches for other processes' commits, the file handles and page
// caches: one writer runs at a time anyway and WAL readers need no more
// than a few. They are all kept when idle: a connection closed while
// others hold locks on the file keeps its file handle until they all let
// go (POSIX locks are per process), so reopening connections would pile
// handles up under load.
const maxConns = 8

// private makes the database and its -wal and -shm files, where they exist,
// readable and writable by their owner only, whatever the umask and
// whatever mode an older version created them with.
func private(path string) error {
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(name, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// busyTimeout is how long a statement waits for a lock held by another
// connection or process before failing with storage.ErrUnavailable.
var busyTimeout = 10 * time.Second

// dsn returns the data source name that opens path durably, with foreign
// keys enforced and write transactions taking the write lock up front.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Close ends every change subscription and closes the database.
func (s *Store) Close() error {
	s.stopWatch()
	<-s.watching
	s.hub.Close()
	return s.db.Close()
}

// Changes implements storage.ChangeFeed.
func (s *Store) Changes(ctx context.Context) (<-chan storage.Change, error) {
	return s.hub.Subscribe(ctx)
}

// write runs fn in a write transaction together with the audit entry, if
// any, and publishes the changes fn returns once the transaction committed.
func (s *Store) write(ctx context.Context, audit *storage.AuditEntry, fn func(tx sqldata.Querier) ([]storage.Change, error)) error {
	if audit != nil {
		if err := audit.Validate(); err != nil {
			return err
		}
	}
	select {
	case s.writer <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.writer }()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail("begin", err)
	}
	changes, err := fn(conn{tx})
	if err == nil && audit != nil {
		_, err = sqldata.InsertAudit(ctx, dialect, conn{tx}, *audit)
	}
	if err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fail("commit", err)
	}
	s.hub.Publish(changes...)
	return nil
}

// isUnique reports whether err is a violated primary key or unique
// constraint.
func isUnique(err error) bool {
	var e *sqlitedriver.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}
