package sqlite

import (
	"context"

	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/internal/sqldata"
)

// probePad is the size of the row Ping writes: more than a 4 KiB page keeps
// inline, so the row needs a page of its own. Rewriting a page the database
// already has succeeds even when it cannot grow, as new records soon need.
const probePad = 4096

// Ping implements storage.Storage. It takes the write lock, writes a row
// that needs a free page and deletes it, and commits: the commit goes
// through the write-ahead log and its sync like any other.
func (s *Store) Ping(ctx context.Context) error {
	return s.write(ctx, nil, func(tx sqldata.Querier) ([]storage.Change, error) {
		if _, err := tx.Exec(ctx, `INSERT INTO write_probe (pad) VALUES (zeroblob(?))`, probePad); err != nil {
			return nil, fail("ping", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM write_probe`); err != nil {
			return nil, fail("ping", err)
		}
		return nil, nil
	})
}
