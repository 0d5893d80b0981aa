package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// GetSession implements storage.Rooms.
func (s *Store) GetSession(ctx context.Context, appID, room, id string) (storage.Session, error) {
	return getSession(ctx, s.pool, appID, room, id)
}

// ListSessions implements storage.Rooms.
func (s *Store) ListSessions(ctx context.Context, appID, room string) ([]storage.Session, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE app_id = $1 AND ($2 = '' OR room = $3) AND state <> 'ended' ORDER BY created_at, ord`, appID, room, room)
	return collect(rows, err, scanSession)
}

// Session implements roomdata.Writer.
func (w *roomTx) Session(appID, room, id string) (storage.Session, error) {
	return getSession(w.ctx, w.tx, appID, room, id)
}

// Sessions implements roomdata.Writer.
func (w *roomTx) Sessions(appID, room, participant string) ([]storage.Session, error) {
	return w.sessions(`app_id = $1 AND room = $2 AND ($3 = '' OR participant = $3) AND state <> 'ended'`, appID, room, participant)
}

// ExpiredSessions implements roomdata.Writer.
func (w *roomTx) ExpiredSessions() ([]storage.Session, error) {
	return w.sessions(`state <> 'ended' AND (lease_until <= $1 OR token_expires_at <= $1)`, w.now)
}

// sessions returns the sessions selected by where and args, by creation.
func (w *roomTx) sessions(where string, args ...any) ([]storage.Session, error) {
	rows, err := w.tx.Query(w.ctx, `SELECT `+sessionColumns+` FROM sessions WHERE `+where+` ORDER BY created_at, ord`, args...)
	return collect(rows, err, scanSession)
}

// CountSessions implements roomdata.Writer.
func (w *roomTx) CountSessions(appID, room string) (int, error) {
	return w.count(appID, room, `state <> 'ended'`)
}

// CountProducers implements roomdata.Writer.
func (w *roomTx) CountProducers(appID, room string) (int, error) {
	return w.count(appID, room, `state = 'joined' AND cardinality(sources) > 0`)
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

// InsertSession implements roomdata.Writer.
func (w *roomTx) InsertSession(s storage.Session) error {
	_, err := w.tx.Exec(w.ctx, `INSERT INTO sessions (`+sessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		s.ID, s.AppID, s.Room, s.Participant, s.Subject, s.Role, names(s.Permissions), string(s.State),
		names(s.Sources), s.TokenID, s.TokenIssuer, nullStamp(s.TokenIssuedAt), nullStamp(s.TokenExpiresAt),
		s.LeaseUntil, s.EndReason, s.CreatedAt, s.UpdatedAt)
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

const sessionColumns = `id, app_id, room, participant, subject, role, permissions, state, sources,
	token_id, token_issuer, token_issued_at, token_expires_at, lease_until, end_reason, created_at, updated_at`

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
