package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/secret"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/postgres"
	"github.com/stagedoor/stagedoor/internal/storage/sqlite"
)

// dataFlags are the flags of every command that opens stagedoor's data.
type dataFlags struct {
	dir      string
	database string
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func (f *dataFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.dir, "data", envOr("STAGEDOOR_DATA", "./stagedoor-data"), "data directory of the embedded database and master key (STAGEDOOR_DATA)")
	cmd.Flags().StringVar(&f.database, "database", os.Getenv("STAGEDOOR_DATABASE"), "postgres:// URL of a PostgreSQL database shared by several nodes, instead of the embedded SQLite (STAGEDOOR_DATABASE)")
}

// node is an opened data directory: the store, the master key and the
// authority over them.
type node struct {
	store      storage.Storage
	box        *secret.Box
	auth       *authority.Authority
	createdKey bool
}

// openNode opens (creating on first use) the data directory: the master key
// from STAGEDOOR_MASTER_KEY or the 0600 file master.key, and the database.
// The authority applies retention to the audit log while the node is open.
func openNode(ctx context.Context, f dataFlags, log *slog.Logger, retention authority.AuditRetention) (*node, error) {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	var key []byte
	created := false
	if env := os.Getenv("STAGEDOOR_MASTER_KEY"); env != "" {
		k, err := secret.ParseKey(env)
		if err != nil {
			return nil, fmt.Errorf("STAGEDOOR_MASTER_KEY: %w", err)
		}
		key = k
	} else {
		k, c, err := secret.LoadOrCreateKeyFile(filepath.Join(f.dir, "master.key"))
		if err != nil {
			return nil, err
		}
		key, created = k, c
	}
	box, err := secret.NewBox(key)
	if err != nil {
		return nil, err
	}
	store, err := openStore(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	auth := authority.New(authority.Config{Store: store, Box: box, Logger: log, AuditRetention: retention})
	// The authority runs until the node is closed, not until ctx ends: a
	// server shutting down on a signal still audits, and so answers, the
	// requests in flight.
	if err := auth.Start(context.WithoutCancel(ctx)); err != nil {
		store.Close()
		return nil, err
	}
	return &node{store: store, box: box, auth: auth, createdKey: created}, nil
}

// openStore opens PostgreSQL when --database is given, else the embedded
// SQLite database in the data directory.
func openStore(ctx context.Context, f dataFlags) (storage.Storage, error) {
	switch {
	case f.database == "":
		return sqlite.Open(ctx, filepath.Join(f.dir, "stagedoor.db"))
	case strings.HasPrefix(f.database, "postgres://"), strings.HasPrefix(f.database, "postgresql://"):
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		s, err := postgres.Open(ctx, f.database)
		if errors.Is(err, storage.ErrUnavailable) {
			return nil, fmt.Errorf("cannot reach PostgreSQL at %s: %w", redactURL(f.database), err)
		}
		return s, err
	}
	return nil, usageError("--database must be a postgres:// URL")
}

// redactURL returns a database URL without its password.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the --database URL"
	}
	return u.Redacted()
}

func (n *node) Close() {
	n.auth.Close()
	n.store.Close()
}
