package sqldata

import (
	"context"
	"fmt"

	"github.com/stagedoor/stagedoor/internal/storage"
)

const sessionColumns = `id, app_id, room, participant, subject, role, permissions, state, sources,
	token_id, token_issuer, token_issued_at, token_expires_at, lease_until, end_reason, created_at, updated_at`

// GetSession implements storage.Rooms.
func (s Store) GetSession(ctx context.Context, appID, room, id string) (storage.Session, error) {
	return getSession(ctx, s.d, s.db, appID, room, id)
}

// ListSessions implements storage.Rooms.
func (s Store) ListSessions(ctx context.Context, appID, room string) ([]storage.Session, error) {
	if appID == "" {
		return sessions(ctx, s.d, s.db, `state <> 'ended'`)
	}
	return sessions(ctx, s.d, s.db, `app_id = $1 AND ($2 = '' OR room = $2) AND state <> 'ended'`, appID, room)
}

// ParticipantSession implements storage.Rooms.
func (s Store) ParticipantSession(ctx context.Context, appID, room, participant string) (storage.Session, error) {
	row := s.db.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE app_id = $1 AND room = $2 AND participant = $3 AND state <> 'ended'`, appID, room, participant)
	return one(s.d, "get session", row, scanSession(s.d), "a live session of %q in room %q", participant, room)
}

// Session implements roomdata.Writer.
func (w RoomTx) Session(appID, room, id string) (storage.Session, error) {
	return getSession(w.ctx, w.d, w.tx, appID, room, id)
}

// Sessions implements roomdata.Writer.
func (w RoomTx) Sessions(appID, room, participant string) ([]storage.Session, error) {
	return sessions(w.ctx, w.d, w.tx, `app_id = $1 AND room = $2 AND ($3 = '' OR participant = $3) AND state <> 'ended'`, appID, room, participant)
}

// ExpiredSessions implements roomdata.Writer.
func (w RoomTx) ExpiredSessions() ([]storage.Session, error) {
	return sessions(w.ctx, w.d, w.tx, `state <> 'ended' AND (lease_until <= $1 OR token_expires_at <= $1)`, w.d.Time(w.now))
}

// CountSessions implements roomdata.Writer.
func (w RoomTx) CountSessions(appID, room string) (int, error) {
	return w.count(`state <> 'ended'`, appID, room)
}

// CountProducers implements roomdata.Writer: a session produces while its
// sources are not the empty list.
func (w RoomTx) CountProducers(appID, room string) (int, error) {
	return w.count(`state = 'joined' AND sources <> $3`, appID, room, w.d.Names(nil))
}

// count returns how many sessions of the room $1, $2 match where.
func (w RoomTx) count(where string, args ...any) (int, error) {
	var n int
	err := w.tx.QueryRow(w.ctx, `SELECT count(*) FROM sessions WHERE app_id = $1 AND room = $2 AND `+where, args...).Scan(&n)
	if err != nil {
		return 0, w.d.Fail("count sessions", err)
	}
	return n, nil
}

// InsertSession implements roomdata.Writer.
func (w RoomTx) InsertSession(s storage.Session) error {
	_, err := w.tx.Exec(w.ctx, `INSERT INTO sessions (`+sessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		s.ID, s.AppID, s.Room, s.Participant, s.Subject, s.Role, w.d.Names(s.Permissions), string(s.State),
		w.d.Names(s.Sources), s.TokenID, s.TokenIssuer, w.d.NullTime(s.TokenIssuedAt), w.d.NullTime(s.TokenExpiresAt),
		w.d.Time(s.LeaseUntil), s.EndReason, w.d.Time(s.CreatedAt), w.d.Time(s.UpdatedAt))
	if w.d.IsUnique(err) {
		return fmt.Errorf("session %q: %w", s.ID, storage.ErrAlreadyExists)
	}
	if err != nil {
		return w.d.Fail("join room", err)
	}
	return nil
}

// SaveSession implements roomdata.Writer.
func (w RoomTx) SaveSession(s storage.Session) error {
	return w.exec("update session", `UPDATE sessions SET role = $1, permissions = $2, state = $3, sources = $4,
		token_id = $5, token_issuer = $6, token_issued_at = $7, token_expires_at = $8, lease_until = $9,
		end_reason = $10, updated_at = $11 WHERE id = $12`,
		s.Role, w.d.Names(s.Permissions), string(s.State), w.d.Names(s.Sources), s.TokenID, s.TokenIssuer, w.d.NullTime(s.TokenIssuedAt),
		w.d.NullTime(s.TokenExpiresAt), w.d.Time(s.LeaseUntil), s.EndReason, w.d.Time(s.UpdatedAt), s.ID)
}

func getSession(ctx context.Context, d *Dialect, q Querier, appID, room, id string) (storage.Session, error) {
	row := q.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = $1 AND app_id = $2 AND room = $3`, id, appID, room)
	return one(d, "get session", row, scanSession(d), "session %q in room %q", id, room)
}

// sessions returns the sessions selected by where and args, by creation.
func sessions(ctx context.Context, d *Dialect, q Querier, where string, args ...any) ([]storage.Session, error) {
	rows, err := q.Query(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE `+where+` ORDER BY created_at, `+d.Inserted, args...)
	return collect(d, "list sessions", rows, err, scanSession(d))
}

// scanSession returns the scan of the session columns in dialect d.
func scanSession(d *Dialect) func(Row) (storage.Session, error) {
	return func(row Row) (storage.Session, error) {
		var s storage.Session
		err := row.Scan(&s.ID, &s.AppID, &s.Room, &s.Participant, &s.Subject, &s.Role, d.ScanNames(&s.Permissions), (*string)(&s.State),
			d.ScanNames(&s.Sources), &s.TokenID, &s.TokenIssuer, d.ScanTime(&s.TokenIssuedAt), d.ScanTime(&s.TokenExpiresAt),
			d.ScanTime(&s.LeaseUntil), &s.EndReason, d.ScanTime(&s.CreatedAt), d.ScanTime(&s.UpdatedAt))
		return s, err
	}
}
