package sqldata

import (
	"context"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// ListLiveRooms implements storage.Rooms.
func (s Store) ListLiveRooms(ctx context.Context, appID, after string, limit int) ([]storage.Room, error) {
	rows, err := s.db.Query(ctx, `SELECT `+roomColumns+` FROM rooms
		WHERE app_id = $1 AND name > $2 AND ended_at IS NULL ORDER BY name LIMIT $3`, appID, after, s.d.Limit(limit))
	return collect(s.d, "list live rooms", rows, err, scanRoom(s.d))
}

// scanRoom returns the scan of a row of roomColumns.
func scanRoom(d *Dialect) func(Row) (storage.Room, error) {
	return func(row Row) (storage.Room, error) {
		var r storage.Room
		err := row.Scan(&r.AppID, &r.Name, &r.Type, &r.MaxProducers, &r.MaxParticipants, &r.Metadata, &r.CreatedBy,
			d.ScanTime(&r.CreatedAt), d.ScanTime(&r.EndedAt))
		return r, err
	}
}
