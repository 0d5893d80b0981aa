package sqldata

import (
	"context"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

const roomColumns = `app_id, name, type, max_producers, max_participants, metadata, created_by, created_at, ended_at`

// GetRoom implements storage.Rooms.
func (s Store) GetRoom(ctx context.Context, appID, name string) (storage.Room, error) {
	return getRoom(ctx, s.d, s.db, appID, name, "")
}

// Blocked implements storage.Rooms.
func (s Store) Blocked(ctx context.Context, appID, room string) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT participant FROM blocked_participants
		WHERE app_id = $1 AND room = $2 ORDER BY participant`, appID, room)
	return collect(s.d, "list blocked participants", rows, err, func(row Row) (p string, err error) {
		return p, row.Scan(&p)
	})
}

// ListRoomEvents implements storage.Rooms.
func (s Store) ListRoomEvents(ctx context.Context, appID, room string, afterSeq int64, limit int) ([]storage.RoomEvent, error) {
	rows, err := s.db.Query(ctx, `SELECT seq, app_id, room, type, session_id, data, occurred_at FROM room_events
		WHERE app_id = $1 AND room = $2 AND seq > $3 ORDER BY seq LIMIT $4`, appID, room, afterSeq, s.d.Limit(limit))
	return collect(s.d, "list room events", rows, err, func(row Row) (storage.RoomEvent, error) {
		var e storage.RoomEvent
		var data []byte
		if err := row.Scan(&e.Seq, &e.AppID, &e.Room, &e.Type, &e.SessionID, &data, s.d.ScanTime(&e.Time)); err != nil {
			return e, err
		}
		return e, decodeEventData(&e, data)
	})
}

// RoomEventCursor implements storage.Rooms.
func (s Store) RoomEventCursor(ctx context.Context, appID, room string) (int64, error) {
	return roomCursor(ctx, s.d, s.db, appID, room)
}

// EventCursor implements storage.Rooms.
func (s Store) EventCursor(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.db.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM room_events`).Scan(&seq); err != nil {
		return 0, s.d.Fail("room events", err)
	}
	return seq, nil
}

// roomCursor returns the Seq of the room's newest event in q, 0 if none.
func roomCursor(ctx context.Context, d *Dialect, q Querier, appID, room string) (int64, error) {
	var seq int64
	err := q.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM room_events WHERE app_id = $1 AND room = $2`, appID, room).Scan(&seq)
	if err != nil {
		return 0, d.Fail("room events", err)
	}
	return seq, nil
}

// PruneRoomEvents implements storage.Rooms.
func (s Store) PruneRoomEvents(ctx context.Context, before time.Time) (int, error) {
	return s.prune(ctx, "prune room events", `DELETE FROM room_events WHERE occurred_at < $1`, before)
}

// getRoom returns a room, or ErrNotFound; lock is a locking clause, or
// empty.
func getRoom(ctx context.Context, d *Dialect, q Querier, appID, name, lock string) (storage.Room, error) {
	row := q.QueryRow(ctx, `SELECT `+roomColumns+` FROM rooms WHERE app_id = $1 AND name = $2`+lock, appID, name)
	return one(d, "get room", row, scanRoom(d), "room %q of app %q", name, appID)
}

// RoomTx is the part of a backend's roomdata.Writer that reads and writes
// rows: the backend adds Event and Touch, as it numbers room events its own
// way.
type RoomTx struct {
	ctx context.Context
	d   *Dialect
	tx  Querier
	now time.Time
}

// NewRoomTx returns the rows of rooms in tx, a write transaction in dialect
// d at now (the current time if zero).
func NewRoomTx(ctx context.Context, d *Dialect, tx Querier, now time.Time) RoomTx {
	return RoomTx{ctx: ctx, d: d, tx: tx, now: d.Stamp(orNow(now))}
}

// Now implements roomdata.Writer.
func (w RoomTx) Now() time.Time { return w.now }

// Cursor returns the Seq of the room's newest event stored, 0 if none: the
// cursor of a room a transaction touched without adding events.
func (w RoomTx) Cursor(appID, room string) (int64, error) {
	return roomCursor(w.ctx, w.d, w.tx, appID, room)
}

// Stamp implements roomdata.Writer.
func (w RoomTx) Stamp(t time.Time) time.Time { return w.d.Stamp(t) }

// LockRoom implements roomdata.Writer.
func (w RoomTx) LockRoom(appID, name string) (storage.Room, error) {
	return getRoom(w.ctx, w.d, w.tx, appID, name, w.d.ForUpdate)
}

// InsertRoom implements roomdata.Writer. A room created at once by another
// node is a unique violation, as no row was there to lock.
func (w RoomTx) InsertRoom(r storage.Room) error {
	if err := requireApp(w.ctx, w.d, w.tx, r.AppID); err != nil {
		return err
	}
	_, err := w.tx.Exec(w.ctx, `INSERT INTO rooms (`+roomColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.AppID, r.Name, r.Type, r.MaxProducers, r.MaxParticipants, r.Metadata, r.CreatedBy, w.d.Time(r.CreatedAt), w.d.NullTime(r.EndedAt))
	if w.d.IsUnique(err) {
		return fmt.Errorf("room %q of app %q: %w", r.Name, r.AppID, storage.ErrAlreadyExists)
	}
	if err != nil {
		return w.d.Fail("create room", err)
	}
	return nil
}

// SaveRoom implements roomdata.Writer.
func (w RoomTx) SaveRoom(r storage.Room) error {
	return w.exec("update room", `UPDATE rooms SET type = $3, max_producers = $4, max_participants = $5, metadata = $6,
		created_by = $7, created_at = $8, ended_at = $9 WHERE app_id = $1 AND name = $2`,
		r.AppID, r.Name, r.Type, r.MaxProducers, r.MaxParticipants, r.Metadata, r.CreatedBy, w.d.Time(r.CreatedAt), w.d.NullTime(r.EndedAt))
}

// IsBlocked implements roomdata.Writer.
func (w RoomTx) IsBlocked(appID, room, participant string) (bool, error) {
	return exists(w.ctx, w.d, w.tx, `SELECT 1 FROM blocked_participants WHERE app_id = $1 AND room = $2 AND participant = $3`, appID, room, participant)
}

// Block implements roomdata.Writer.
func (w RoomTx) Block(appID, room, participant string) error {
	return w.exec("block participant", `INSERT INTO blocked_participants (app_id, room, participant, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, appID, room, participant, w.d.Time(w.now))
}

// Unblock implements roomdata.Writer.
func (w RoomTx) Unblock(appID, room string) error {
	return w.exec("unblock participants", `DELETE FROM blocked_participants WHERE app_id = $1 AND room = $2`, appID, room)
}

// exec runs a statement that writes.
func (w RoomTx) exec(what, query string, args ...any) error {
	if _, err := w.tx.Exec(w.ctx, query, args...); err != nil {
		return w.d.Fail(what, err)
	}
	return nil
}
