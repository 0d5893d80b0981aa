package postgres

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/stagedoor/stagedoor/internal/storage/internal/sqldata"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrate brings the schema up to the newest version this build knows, and
// refuses a schema that is newer still. Nodes migrating at once take turns
// on an advisory lock keyed by the schema name.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	h := fnv.New64a()
	h.Write([]byte("stagedoor:" + schema))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64())), lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	return sqldata.Migrate(ctx, goose.DialectPostgres, db, migrations, goose.WithSessionLocker(locker))
}
