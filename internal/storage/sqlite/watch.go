package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// watchInterval is how often the store looks for commits of other
// processes, such as the command line writing while a server runs.
const watchInterval = 250 * time.Millisecond

// watch announces a storage.ChangeExternal, every watchInterval until ctx
// ends, if a commit was made since the last look. PRAGMA data_version, on
// c, a connection of its own that never writes, moves whenever another
// connection commits, of this process or of another: a look costs one
// prepared statement, and nothing is read when nothing changed.
func (s *Store) watch(ctx context.Context, c *sql.Conn) {
	defer c.Close()
	stmt, err := c.PrepareContext(ctx, `PRAGMA data_version`)
	if err != nil {
		return
	}
	defer stmt.Close()
	version := func() (int64, error) {
		var v int64
		err := stmt.QueryRowContext(ctx).Scan(&v)
		return v, err
	}
	last, err := version()
	tick := time.NewTicker(watchInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		v, verr := version()
		switch {
		case verr != nil:
			// Unreadable now: the next successful look announces.
			err = verr
		case err != nil || v != last:
			s.hub.Publish(storage.Change{Kind: storage.ChangeExternal})
			last, err = v, nil
		}
	}
}
