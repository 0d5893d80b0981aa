package sqlite

import (
	"context"
	"database/sql"
	"embed"

	"github.com/pressly/goose/v3"
	"github.com/stagedoor/stagedoor/internal/storage/internal/sqldata"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrate brings the schema up to the newest version this build knows, and
// refuses a database whose schema is newer still.
func migrate(ctx context.Context, db *sql.DB) error {
	return sqldata.Migrate(ctx, goose.DialectSQLite3, db, migrations)
}
