package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// GetRoom implements storage.Rooms.
func (s *Store) GetRoom(ctx context.Context, appID, name string) (storage.Room, error) {
	return getRoom(ctx, s.pool, appID, name, "")
}

// Blocked implements storage.Rooms.
func (s *Store) Blocked(ctx context.Context, appID, room string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT participant FROM blocked_participants
		WHERE app_id = $1 AND room = $2 ORDER BY participant`, appID, room)
	return collect(rows, err, func(row scanner) (string, error) {
		var p string
		err := row.Scan(&p)
		return p, err
	})
}

// ListRoomEvents implements storage.Rooms.
func (s *Store) ListRoomEvents(ctx context.Context, appID, room string, afterSeq int64, n int) ([]storage.RoomEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, app_id, room, type, session_id, data, occurred_at FROM room_events
		WHERE app_id = $1 AND room = $2 AND seq > $3 ORDER BY seq LIMIT $4`, appID, room, afterSeq, limit(n))
	return collect(rows, err, func(row scanner) (storage.RoomEvent, error) {
		var e storage.RoomEvent
		if err := row.Scan(&e.Seq, &e.AppID, &e.Room, &e.Type, &e.SessionID, &e.Data, &e.Time); err != nil {
			return storage.RoomEvent{}, err
		}
		e.Time = e.Time.UTC()
		return e, nil
	})
}

// PruneRoomEvents implements storage.Rooms.
func (s *Store) PruneRoomEvents(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM room_events WHERE occurred_at < $1`, stamp(before))
	if err != nil {
		return 0, fail("prune room events", err)
	}
	return int(tag.RowsAffected()), nil
}

// LockRoom implements roomdata.Writer with a row lock.
func (w *roomTx) LockRoom(appID, name string) (storage.Room, error) {
	return getRoom(w.ctx, w.tx, appID, name, " FOR UPDATE")
}

// InsertRoom implements roomdata.Writer. A room created at once by another
// node is a unique violation, as no row was there to lock.
func (w *roomTx) InsertRoom(r storage.Room) error {
	if err := requireApp(w.ctx, w.tx, r.AppID); err != nil {
		return err
	}
	_, err := w.tx.Exec(w.ctx, `INSERT INTO rooms (`+roomColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.AppID, r.Name, r.Type, r.MaxProducers, r.MaxParticipants, r.Metadata, r.CreatedBy, r.CreatedAt, nullStamp(r.EndedAt))
	if isUnique(err) {
		return fmt.Errorf("room %q of app %q: %w", r.Name, r.AppID, storage.ErrAlreadyExists)
	}
	if err != nil {
		return fail("create room", err)
	}
	return nil
}

// SaveRoom implements roomdata.Writer.
func (w *roomTx) SaveRoom(r storage.Room) error {
	_, err := w.tx.Exec(w.ctx, `UPDATE rooms SET type = $3, max_producers = $4, max_participants = $5, metadata = $6,
		created_by = $7, created_at = $8, ended_at = $9 WHERE app_id = $1 AND name = $2`,
		r.AppID, r.Name, r.Type, r.MaxProducers, r.MaxParticipants, r.Metadata, r.CreatedBy, r.CreatedAt, nullStamp(r.EndedAt))
	if err != nil {
		return fail("update room", err)
	}
	return nil
}

// IsBlocked implements roomdata.Writer.
func (w *roomTx) IsBlocked(appID, room, participant string) (bool, error) {
	return exists(w.ctx, w.tx, `SELECT 1 FROM blocked_participants WHERE app_id = $1 AND room = $2 AND participant = $3`, appID, room, participant)
}

// Block implements roomdata.Writer.
func (w *roomTx) Block(appID, room, participant string) error {
	_, err := w.tx.Exec(w.ctx, `INSERT INTO blocked_participants (app_id, room, participant, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, appID, room, participant, w.now)
	if err != nil {
		return fail("block participant", err)
	}
	return nil
}

// Unblock implements roomdata.Writer.
func (w *roomTx) Unblock(appID, room string) error {
	if _, err := w.tx.Exec(w.ctx, `DELETE FROM blocked_participants WHERE app_id = $1 AND room = $2`, appID, room); err != nil {
		return fail("unblock participants", err)
	}
	return nil
}

const roomColumns = `app_id, name, type, max_producers, max_participants, metadata, created_by, created_at, ended_at`

// getRoom returns a room, or ErrNotFound; lock is a locking clause, or
// empty.
func getRoom(ctx context.Context, q querier, appID, name, lock string) (storage.Room, error) {
	r, err := scanRoom(q.QueryRow(ctx, `SELECT `+roomColumns+` FROM rooms WHERE app_id = $1 AND name = $2`+lock, appID, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.Room{}, fmt.Errorf("room %q of app %q: %w", name, appID, storage.ErrNotFound)
	}
	if err != nil {
		return storage.Room{}, fail("get room", err)
	}
	return r, nil
}

func scanRoom(row scanner) (storage.Room, error) {
	var r storage.Room
	var ended *time.Time
	if err := row.Scan(&r.AppID, &r.Name, &r.Type, &r.MaxProducers, &r.MaxParticipants, &r.Metadata, &r.CreatedBy, &r.CreatedAt, &ended); err != nil {
		return storage.Room{}, err
	}
	r.CreatedAt = r.CreatedAt.UTC()
	r.EndedAt = fromNull(ended)
	return r, nil
}
