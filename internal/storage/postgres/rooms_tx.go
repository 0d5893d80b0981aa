package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/internal/roomdata"
	"github.com/stagedoor/stagedoor/internal/storage/internal/sqldata"
)

// roomTx is a write transaction on rooms, this backend's roomdata.Writer:
// the shared rows, whose LockRoom locks the room's row before its sessions
// are read, so that writes to a room take turns, and room events, kept
// until the end of the transaction, then numbered and stored together, so
// that the room_event_seq row stays locked only from then until the
// commit. One storage.ChangeRoom per room touched carries its newest event.
type roomTx struct {
	sqldata.RoomTx
	ctx     context.Context
	tx      pgx.Tx
	events  []storage.RoomEvent
	touched []storage.Change
}

// writeRooms runs fn in a transaction with the audit entry, if any, then
// stores the events fn appended and announces the rooms it touched.
func (s *Store) writeRooms(ctx context.Context, now time.Time, audit *storage.AuditEntry, fn func(w roomdata.Writer) error) error {
	return s.write(ctx, audit, func(tx pgx.Tx) ([]storage.Change, error) {
		w := &roomTx{RoomTx: sqldata.NewRoomTx(ctx, dialect, conn{tx}, now), ctx: ctx, tx: tx}
		if err := fn(w); err != nil {
			return nil, err
		}
		if err := w.flush(); err != nil {
			return nil, err
		}
		return w.touched, nil
	})
}

// Event implements roomdata.Writer: the event is stored by flush.
func (w *roomTx) Event(appID, room, typ, sessionID string, data storage.RoomEventData) error {
	w.events = append(w.events, storage.RoomEvent{AppID: appID, Room: room, Type: typ, SessionID: sessionID, Data: data, Time: w.Now()})
	return w.Touch(appID, room)
}

// Touch implements roomdata.Writer: flush sets the room's cursor.
func (w *roomTx) Touch(appID, room string) error {
	if !slices.ContainsFunc(w.touched, func(c storage.Change) bool { return c.AppID == appID && c.Room == room }) {
		w.touched = append(w.touched, storage.Change{Kind: storage.ChangeRoom, AppID: appID, Room: room})
	}
	return nil
}

// flush numbers and stores the events, and sets each touched room's cursor
// to its newest event, or the newest stored before for a room without new
// events.
func (w *roomTx) flush() error {
	if n := int64(len(w.events)); n > 0 {
		var last int64
		if err := w.tx.QueryRow(w.ctx, `UPDATE room_event_seq SET last = last + $1 RETURNING last`, n).Scan(&last); err != nil {
			return fail("room event seq", err)
		}
		b := &pgx.Batch{}
		for i := range w.events {
			e := &w.events[i]
			e.Seq = last - n + 1 + int64(i)
			b.Queue(`INSERT INTO room_events (seq, app_id, room, type, session_id, data, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				e.Seq, e.AppID, e.Room, e.Type, e.SessionID, sqldata.EncodeEventData(e.Data), e.Time)
		}
		if err := w.tx.SendBatch(w.ctx, b).Close(); err != nil {
			return fail("append room events", err)
		}
	}
	for i, c := range w.touched {
		for _, e := range w.events {
			if e.AppID == c.AppID && e.Room == c.Room {
				w.touched[i].Cursor = e.Seq
			}
		}
		if w.touched[i].Cursor != 0 {
			continue
		}
		seq, err := w.Cursor(c.AppID, c.Room)
		if err != nil {
			return err
		}
		w.touched[i].Cursor = seq
	}
	return nil
}
