package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// GetSession implements storage.Rooms.
func (s *Store) GetSession(ctx context.Context, appID, room, id string) (storage.Session, error) {
	return getSession(ctx, s.db, appID, room, id)
}

// ListSessions implements storage.Rooms.
func (s *Store) ListSessions(ctx context.Context, appID, room string) ([]storage.Session, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE app_id = ? AND (? = '' OR room = ?) AND state <> 'ended' ORDER BY created_at, rowid`, appID, room, room)
	if err != nil {
		return nil, fail("list sessions", err)
	}
	return collect(rows, scanSession)
}

// Session implements roomdata.Writer.
func (w *roomTx) Session(appID, room, id string) (storage.Session, error) {
	return getSession(w.ctx, w.tx, appID, room, id)
}

// Sessions implements roomdata.Writer.
func (w *roomTx) Sessions(appID, room, participant string) ([]storage.Session, error) {
	return w.sessions(`app_id = ? AND room = ? AND (? = '' OR participant = ?) AND state <> 'ended'`, appID, room, participant, participant)
}

// ExpiredSessions implements roomdata.Writer.
func (w *roomTx) ExpiredSessions() ([]storage.Session, error) {
	at := millis(w.now)
	return w.sessions(`state <> 'ended' AND (lease_until <= ? OR token_expires_at <= ?)`, at, at)
}

// sessions returns the sessions selected by where and args, by creation.
func (w *roomTx) sessions(where string, args ...any) ([]storage.Session, error) {
	rows, err := w.tx.QueryContext(w.ctx, `SELECT `+sessionColumns+` FROM sessions WHERE `+where+` ORDER BY created_at, rowid`, args...)
	if err != nil {
		return nil, fail("list sessions", err)
	}
	return collect(rows, scanSession)
}

// CountSessions implements roomdata.Writer.
func (w *roomTx) CountSessions(appID, room string) (int, error) {
	return w.count(appID, room, `state <> 'ended'`)
}

// CountProducers implements roomdata.Writer.
func (w *roomTx) CountProducers(appID, room string) (int, error) {
	return w.count(appID, room, `state = 'joined' AND sources <> '[]'`)
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

// InsertSession implements roomdata.Writer.
func (w *roomTx) InsertSession(s storage.Session) error {
	_, err := w.tx.ExecContext(w.ctx, `INSERT INTO sessions (`+sessionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.AppID, s.Room, s.Participant, s.Subject, s.Role, names(s.Permissions), string(s.State),
		names(s.Sources), s.TokenID, s.TokenIssuer, nullMillis(s.TokenIssuedAt), nullMillis(s.TokenExpiresAt),
		millis(s.LeaseUntil), s.EndReason, millis(s.CreatedAt), millis(s.UpdatedAt))
	if isUnique(err) {
		return fmt.Errorf("session %q: %w", s.ID, storage.ErrAlreadyExists)
	}
	if err != nil {
		return fail("join room", err)
	}
	return nil
}

// SaveSession implements roomdata.Writer.
func (w *roomTx) SaveSession(s storage.Session) error {
	_, err := w.tx.ExecContext(w.ctx, `UPDATE sessions SET role = ?, permissions = ?, state = ?, sources = ?,
		token_id = ?, token_issuer = ?, token_issued_at = ?, token_expires_at = ?, lease_until = ?,
		end_reason = ?, updated_at = ? WHERE id = ?`,
		s.Role, names(s.Permissions), string(s.State), names(s.Sources), s.TokenID, s.TokenIssuer, nullMillis(s.TokenIssuedAt),
		nullMillis(s.TokenExpiresAt), millis(s.LeaseUntil), s.EndReason, millis(s.UpdatedAt), s.ID)
	if err != nil {
		return fail("update session", err)
	}
	return nil
}

const sessionColumns = `id, app_id, room, participant, subject, role, permissions, state, sources,
	token_id, token_issuer, token_issued_at, token_expires_at, lease_until, end_reason, created_at, updated_at`

func getSession(ctx context.Context, q rowQuerier, appID, room, id string) (storage.Session, error) {
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
