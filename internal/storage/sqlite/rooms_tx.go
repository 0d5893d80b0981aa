package sqlite

import (
	"context"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/internal/roomdata"
	"github.com/stagedoor/stagedoor/internal/storage/internal/sqldata"
)

// roomTx is a write transaction on rooms, this backend's roomdata.Writer:
// it appends room events and reports one storage.ChangeRoom per room
// touched, carrying the room's newest event. Every write transaction
// holds the database's write lock from its start (BEGIN IMMEDIATE), so
// writes to rooms take turns without row locks.
type roomTx struct {
	sqldata.RoomTx
	ctx   context.Context
	tx    sqldata.Querier
	rooms []storage.Change
}

// writeRooms runs fn in a write transaction with the audit entry, if any,
// and announces the rooms it touched once it committed.
func (s *Store) writeRooms(ctx context.Context, now time.Time, audit *storage.AuditEntry, fn func(w roomdata.Writer) error) error {
	return s.write(ctx, audit, func(tx sqldata.Querier) ([]storage.Change, error) {
		w := &roomTx{RoomTx: sqldata.NewRoomTx(ctx, dialect, tx, now), ctx: ctx, tx: tx}
		if err := fn(w); err != nil {
			return nil, err
		}
		return w.rooms, nil
	})
}

// Event implements roomdata.Writer.
func (w *roomTx) Event(appID, room, typ, sessionID string, data storage.RoomEventData) error {
	var seq int64
	err := w.tx.QueryRow(w.ctx, `INSERT INTO room_events (app_id, room, type, session_id, data, occurred_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING seq`, appID, room, typ, sessionID, sqldata.EncodeEventData(data), w.Now().UnixMilli()).Scan(&seq)
	if err != nil {
		return fail("append room event", err)
	}
	w.touch(appID, room, seq)
	return nil
}

// Touch implements roomdata.Writer, with the room's newest event as the
// cursor.
func (w *roomTx) Touch(appID, room string) error {
	seq, err := w.Cursor(appID, room)
	if err != nil {
		return err
	}
	w.touch(appID, room, seq)
	return nil
}

// touch records that the room changed, with seq its newest event.
func (w *roomTx) touch(appID, room string, seq int64) {
	for i, c := range w.rooms {
		if c.AppID == appID && c.Room == room {
			w.rooms[i].Cursor = max(c.Cursor, seq)
			return
		}
	}
	w.rooms = append(w.rooms, storage.Change{Kind: storage.ChangeRoom, AppID: appID, Room: room, Cursor: seq})
}
