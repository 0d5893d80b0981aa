package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// Ping implements storage.Storage. It writes a row and deletes it, and
// commits: the commit is logged and flushed like any other, and each
// node's probe touches only its own row.
func (s *Store) Ping(ctx context.Context) error {
	return s.write(ctx, nil, func(tx pgx.Tx) ([]storage.Change, error) {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO write_probe DEFAULT VALUES RETURNING id`).Scan(&id); err != nil {
			return nil, fail("ping", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM write_probe WHERE id = $1`, id); err != nil {
			return nil, fail("ping", err)
		}
		return nil, nil
	})
}
