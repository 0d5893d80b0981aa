package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// roomTx is a write transaction on rooms: it appends room events and
// reports one storage.ChangeRoom per room touched, carrying the room's
// newest event.
type roomTx struct {
	ctx   context.Context
	tx    *sql.Tx
	now   time.Time
	rooms []storage.Change
}

// writeRooms runs fn in a write transaction with the audit entry, if any,
// and announces the rooms it touched once it committed.
func (s *Store) writeRooms(ctx context.Context, now time.Time, audit *storage.AuditEntry, fn func(w *roomTx) error) error {
	return s.write(ctx, audit, func(tx *sql.Tx) ([]storage.Change, error) {
		w := &roomTx{ctx: ctx, tx: tx, now: truncate(orNow(now))}
		if err := fn(w); err != nil {
			return nil, err
		}
		return w.rooms, nil
	})
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

// event appends a room event at w.now.
func (w *roomTx) Event(appID, room, typ, sessionID string, data []byte) error {
	var seq int64
	err := w.tx.QueryRowContext(w.ctx, `INSERT INTO room_events (app_id, room, type, session_id, data, occurred_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING seq`, appID, room, typ, sessionID, data, millis(w.now)).Scan(&seq)
	if err != nil {
		return fail("append room event", err)
	}
	w.touch(appID, room, seq)
	return nil
}

// touchQuietly records that the room changed without an event of its own,
// with the room's newest event as the cursor.
func (w *roomTx) touchQuietly(appID, room string) error {
	var seq sql.NullInt64
	err := w.tx.QueryRowContext(w.ctx, `SELECT max(seq) FROM room_events WHERE app_id = ? AND room = ?`, appID, room).Scan(&seq)
	if err != nil {
		return fail("room events", err)
	}
	w.touch(appID, room, seq.Int64)
	return nil
}

// room returns a room, or ErrNotFound.
func (w *roomTx) room(appID, name string) (storage.Room, error) {
	r, err := scanRoom(w.tx.QueryRowContext(w.ctx, `SELECT `+roomColumns+` FROM rooms WHERE app_id = ? AND name = ?`, appID, name))
	if errors.Is(err, sql.ErrNoRows) {
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
	rows, err := w.tx.QueryContext(w.ctx, `SELECT `+sessionColumns+` FROM sessions WHERE `+where+` ORDER BY created_at, rowid`, args...)
	if err != nil {
		return nil, fail("list sessions", err)
	}
	return collect(rows, scanSession)
}

// save stores the mutable fields of s.
func (w *roomTx) Save(s storage.Session) error {
	perms, sources := names(s.Permissions), names(s.Sources)
	_, err := w.tx.ExecContext(w.ctx, `UPDATE sessions SET role = ?, permissions = ?, state = ?, sources = ?,
		token_id = ?, token_issuer = ?, token_issued_at = ?, token_expires_at = ?, lease_until = ?,
		end_reason = ?, updated_at = ? WHERE id = ?`,
		s.Role, perms, string(s.State), sources, s.TokenID, s.TokenIssuer, nullMillis(s.TokenIssuedAt),
		nullMillis(s.TokenExpiresAt), millis(s.LeaseUntil), s.EndReason, millis(s.UpdatedAt), s.ID)
	if err != nil {
		return fail("update session", err)
	}
	return nil
}

// count returns how many sessions of a room match where.
func (w *roomTx) count(appID, room, where string) (int, error) {
	var n int
	err := w.tx.QueryRowContext(w.ctx, `SELECT count(*) FROM sessions WHERE app_id = ? AND room = ? AND `+where, appID, room).Scan(&n)
	if err != nil {
		return 0, fail("count sessions", err)
	}
	return n, nil
}

const roomColumns = `app_id, name, type, max_producers, max_participants, metadata, created_by, created_at, ended_at`

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

const sessionColumns = `id, app_id, room, participant, subject, role, permissions, state, sources,
	token_id, token_issuer, token_issued_at, token_expires_at, lease_until, end_reason, created_at, updated_at`

func getSession(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, appID, room, id string) (storage.Session, error) {
	s, err := scanSession(q.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ? AND app_id = ? AND room = ?`, id, appID, room))
	if errors.Is(err, sql.ErrNoRows) {
		return storage.Session{}, fmt.Errorf("session %q in room %q: %w", id, room, storage.ErrNotFound)
	}
	if err != nil {
		return storage.Session{}, fail("get session", err)
	}
	return s, nil
}

func scanSession(row scanner) (storage.Session, error) {
	var s storage.Session
	var perms, sources, state string
	var issued, expires sql.NullInt64
	var lease, created, updated int64
	if err := row.Scan(&s.ID, &s.AppID, &s.Room, &s.Participant, &s.Subject, &s.Role, &perms, &state, &sources,
		&s.TokenID, &s.TokenIssuer, &issued, &expires, &lease, &s.EndReason, &created, &updated); err != nil {
		return storage.Session{}, err
	}
	if err := json.Unmarshal([]byte(perms), &s.Permissions); err != nil {
		return storage.Session{}, fmt.Errorf("session permissions: %w", err)
	}
	if err := json.Unmarshal([]byte(sources), &s.Sources); err != nil {
		return storage.Session{}, fmt.Errorf("session sources: %w", err)
	}
	s.State = storage.SessionState(state)
	s.TokenIssuedAt = fromNullMillis(issued)
	s.TokenExpiresAt = fromNullMillis(expires)
	s.LeaseUntil = fromMillis(lease)
	s.CreatedAt = fromMillis(created)
	s.UpdatedAt = fromMillis(updated)
	return s, nil
}

// names returns sorted names as the JSON array the database keeps.
func names(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(list) // a list of strings always marshals
	return string(b)
}

// Now is the transaction's time.
func (w *roomTx) Now() time.Time { return w.now }

// CountProducers counts the room's joined sessions producing a source.
func (w *roomTx) CountProducers(appID, room string) (int, error) {
	return w.count(appID, room, `state = 'joined' AND sources <> '[]'`)
}
