package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// GetRoom implements storage.Rooms.
func (s *Store) GetRoom(ctx context.Context, appID, name string) (storage.Room, error) {
	return getRoom(ctx, s.db, appID, name)
}

// Blocked implements storage.Rooms.
func (s *Store) Blocked(ctx context.Context, appID, room string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT participant FROM blocked_participants
		WHERE app_id = ? AND room = ? ORDER BY participant`, appID, room)
	if err != nil {
		return nil, fail("list blocked participants", err)
	}
	return collect(rows, func(row scanner) (string, error) {
		var p string
		err := row.Scan(&p)
		return p, err
	})
}

// ListRoomEvents implements storage.Rooms.
func (s *Store) ListRoomEvents(ctx context.Context, appID, room string, afterSeq int64, limit int) ([]storage.RoomEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, app_id, room, type, session_id, data, occurred_at FROM room_events
		WHERE app_id = ? AND room = ? AND seq > ? ORDER BY seq`+limitClause(limit), appID, room, afterSeq)
	if err != nil {
		return nil, fail("list room events", err)
	}
	return collect(rows, func(row scanner) (storage.RoomEvent, error) {
		var e storage.RoomEvent
		var at int64
		if err := row.Scan(&e.Seq, &e.AppID, &e.Room, &e.Type, &e.SessionID, &e.Data, &at); err != nil {
			return storage.RoomEvent{}, err
		}
		e.Time = fromMillis(at)
		return e, nil
	})
}

// PruneRoomEvents implements storage.Rooms.
func (s *Store) PruneRoomEvents(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := s.write(ctx, nil, func(tx *sql.Tx) ([]storage.Change, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM room_events WHERE occurred_at < ?`, millis(before))
		if err != nil {
			return nil, fail("prune room events", err)
		}
		n, err = rowsAffected(res)
		return nil, err
	})
	return n, err
}

// LockRoom implements roomdata.Writer: the transaction already holds the
// write lock.
func (w *roomTx) LockRoom(appID, name string) (storage.Room, error) {
	return getRoom(w.ctx, w.tx, appID, name)
}

// InsertRoom implements roomdata.Writer.
func (w *roomTx) InsertRoom(r storage.Room) error {
	if err := requireApp(w.ctx, w.tx, r.AppID); err != nil {
		return err
	}
	_, err := w.tx.ExecContext(w.ctx, `INSERT INTO rooms (`+roomColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.AppID, r.Name, r.Type, r.MaxProducers, r.MaxParticipants, r.Metadata, r.CreatedBy, millis(r.CreatedAt), nullMillis(r.EndedAt))
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
	_, err := w.tx.ExecContext(w.ctx, `UPDATE rooms SET type = ?, max_producers = ?, max_participants = ?, metadata = ?,
		created_by = ?, created_at = ?, ended_at = ? WHERE app_id = ? AND name = ?`,
		r.Type, r.MaxProducers, r.MaxParticipants, r.Metadata, r.CreatedBy, millis(r.CreatedAt), nullMillis(r.EndedAt), r.AppID, r.Name)
	if err != nil {
		return fail("update room", err)
	}
	return nil
}

// IsBlocked implements roomdata.Writer.
func (w *roomTx) IsBlocked(appID, room, participant string) (bool, error) {
	return exists(w.ctx, w.tx, `SELECT 1 FROM blocked_participants WHERE app_id = ? AND room = ? AND participant = ?`, appID, room, participant)
}

// Block implements roomdata.Writer.
func (w *roomTx) Block(appID, room, participant string) error {
	_, err := w.tx.ExecContext(w.ctx, `INSERT INTO blocked_participants (app_id, room, participant, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, appID, room, participant, millis(w.now))
	if err != nil {
		return fail("block participant", err)
	}
	return nil
}

// Unblock implements roomdata.Writer.
func (w *roomTx) Unblock(appID, room string) error {
	if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM blocked_participants WHERE app_id = ? AND room = ?`, appID, room); err != nil {
		return fail("unblock participants", err)
	}
	return nil
}

const roomColumns = `app_id, name, type, max_producers, max_participants, metadata, created_by, created_at, ended_at`

func getRoom(ctx context.Context, q rowQuerier, appID, name string) (storage.Room, error) {
	r, err := scanRoom(q.QueryRowContext(ctx, `SELECT `+roomColumns+` FROM rooms WHERE app_id = ? AND name = ?`, appID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return storage.Room{}, fmt.Errorf("room %q of app %q: %w", name, appID, storage.ErrNotFound)
	}
	if err != nil {
		return storage.Room{}, fail("get room", err)
	}
	return r, nil
}

func scanRoom(row scanner) (storage.Room, error) {
	var r storage.Room
	var created int64
	var ended sql.NullInt64
	if err := row.Scan(&r.AppID, &r.Name, &r.Type, &r.MaxProducers, &r.MaxParticipants, &r.Metadata, &r.CreatedBy, &created, &ended); err != nil {
		return storage.Room{}, err
	}
	r.CreatedAt = fromMillis(created)
	r.EndedAt = fromNullMillis(ended)
	return r, nil
}
