package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// roomTx is a write transaction on rooms. Rooms are locked (lockRoom)
// before their sessions are read, so that writes to a room take turns.
// Room events are kept until the end of the transaction, then numbered
// and stored together, so the room_event_seq row stays locked only from
// then until the commit; one storage.ChangeRoom per room touched carries
// its newest event.
type roomTx struct {
	ctx     context.Context
	tx      pgx.Tx
	now     time.Time
	events  []storage.RoomEvent
	touched []storage.Change
}

// writeRooms runs fn in a transaction with the audit entry, if any, then
// stores the events fn appended and announces the rooms it touched.
func (s *Store) writeRooms(ctx context.Context, now time.Time, audit *storage.AuditEntry, fn func(w *roomTx) error) error {
	return s.write(ctx, audit, func(tx pgx.Tx) ([]storage.Change, error) {
		w := &roomTx{ctx: ctx, tx: tx, now: stamp(orNow(now))}
		if err := fn(w); err != nil {
			return nil, err
		}
		if err := w.flush(); err != nil {
			return nil, err
		}
		return w.touched, nil
	})
}

// event appends a room event at w.now.
func (w *roomTx) Event(appID, room, typ, sessionID string, data []byte) error {
	w.events = append(w.events, storage.RoomEvent{AppID: appID, Room: room, Type: typ, SessionID: sessionID, Data: data, Time: w.now})
	w.touch(appID, room)
	return nil
}

// touch records that the room changed.
func (w *roomTx) touch(appID, room string) {
	if !slices.ContainsFunc(w.touched, func(c storage.Change) bool { return c.AppID == appID && c.Room == room }) {
		w.touched = append(w.touched, storage.Change{Kind: storage.ChangeRoom, AppID: appID, Room: room})
	}
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
				e.Seq, e.AppID, e.Room, e.Type, e.SessionID, e.Data, e.Time)
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
		err := w.tx.QueryRow(w.ctx, `SELECT coalesce(max(seq), 0) FROM room_events WHERE app_id = $1 AND room = $2`,
			c.AppID, c.Room).Scan(&w.touched[i].Cursor)
		if err != nil {
			return fail("room events", err)
		}
	}
	return nil
}

// lockRoom returns a room, or ErrNotFound, and locks it until the
// transaction ends.
func (w *roomTx) lockRoom(appID, name string) (storage.Room, error) {
	r, err := scanRoom(w.tx.QueryRow(w.ctx, `SELECT `+roomColumns+` FROM rooms WHERE app_id = $1 AND name = $2 FOR UPDATE`, appID, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.Room{}, fmt.Errorf("room %q of app %q: %w", name, appID, storage.ErrNotFound)
	}
	if err != nil {
		return storage.Room{}, fail("get room", err)
	}
	return r, nil
}

// session returns a session of a room, or ErrNotFound.
func (w *roomTx) session(appID, room, id string) (storage.Session, error) {
	return getSession(w.ctx, w.tx, appID, room, id)
}

// sessions returns the sessions selected by where and args, by creation.
func (w *roomTx) sessions(where string, args ...any) ([]storage.Session, error) {
	rows, err := w.tx.Query(w.ctx, `SELECT `+sessionColumns+` FROM sessions WHERE `+where+` ORDER BY created_at, ord`, args...)
	return collect(rows, err, scanSession)
}

// save stores the mutable fields of s.
func (w *roomTx) Save(s storage.Session) error {
	_, err := w.tx.Exec(w.ctx, `UPDATE sessions SET role = $1, permissions = $2, state = $3, sources = $4,
		token_id = $5, token_issuer = $6, token_issued_at = $7, token_expires_at = $8, lease_until = $9,
		end_reason = $10, updated_at = $11 WHERE id = $12`,
		s.Role, names(s.Permissions), string(s.State), names(s.Sources), s.TokenID, s.TokenIssuer, nullStamp(s.TokenIssuedAt),
		nullStamp(s.TokenExpiresAt), s.LeaseUntil, s.EndReason, s.UpdatedAt, s.ID)
	if err != nil {
		return fail("update session", err)
	}
	return nil
}

// count returns how many sessions of a room match where.
func (w *roomTx) count(appID, room, where string) (int, error) {
	var n int
	err := w.tx.QueryRow(w.ctx, `SELECT count(*) FROM sessions WHERE app_id = $1 AND room = $2 AND `+where, appID, room).Scan(&n)
	if err != nil {
		return 0, fail("count sessions", err)
	}
	return n, nil
}

const roomColumns = `app_id, name, type, max_producers, max_participants, metadata, created_by, created_at, ended_at`

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

const sessionColumns = `id, app_id, room, participant, subject, role, permissions, state, sources,
	token_id, token_issuer, token_issued_at, token_expires_at, lease_until, end_reason, created_at, updated_at`

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func getSession(ctx context.Context, q querier, appID, room, id string) (storage.Session, error) {
	s, err := scanSession(q.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = $1 AND app_id = $2 AND room = $3`, id, appID, room))
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.Session{}, fmt.Errorf("session %q in room %q: %w", id, room, storage.ErrNotFound)
	}
	if err != nil {
		return storage.Session{}, fail("get session", err)
	}
	return s, nil
}

func scanSession(row scanner) (storage.Session, error) {
	var s storage.Session
	var state string
	var issued, expires *time.Time
	if err := row.Scan(&s.ID, &s.AppID, &s.Room, &s.Participant, &s.Subject, &s.Role, &s.Permissions, &state, &s.Sources,
		&s.TokenID, &s.TokenIssuer, &issued, &expires, &s.LeaseUntil, &s.EndReason, &s.CreatedAt, &s.UpdatedAt); err != nil {
		return storage.Session{}, err
	}
	s.State = storage.SessionState(state)
	s.TokenIssuedAt = fromNull(issued)
	s.TokenExpiresAt = fromNull(expires)
	s.LeaseUntil = s.LeaseUntil.UTC()
	s.CreatedAt = s.CreatedAt.UTC()
	s.UpdatedAt = s.UpdatedAt.UTC()
	return s, nil
}

// names returns list for a TEXT[] column, never NULL.
func names(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// Now is the transaction's time.
func (w *roomTx) Now() time.Time { return w.now }

// CountProducers counts the room's joined sessions producing a source.
func (w *roomTx) CountProducers(appID, room string) (int, error) {
	return w.count(appID, room, `state = 'joined' AND cardinality(sources) > 0`)
}
