package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/internal/roomdata"
)

// JoinRoom implements storage.Rooms.
func (s *Store) JoinRoom(ctx context.Context, ses storage.Session, now time.Time) (storage.Session, []storage.Session, error) {
	if err := ses.Validate(); err != nil {
		return storage.Session{}, nil, err
	}
	var replaced []storage.Session
	err := s.writeRooms(ctx, now, nil, func(w *roomTx) error {
		r, err := w.room(ses.AppID, ses.Room)
		if err != nil {
			return err
		}
		if r.Ended() {
			return fmt.Errorf("room %q ended: %w", r.Name, storage.ErrConflict)
		}
		blocked, err := exists(ctx, w.tx, `SELECT 1 FROM blocked_participants WHERE app_id = ? AND room = ? AND participant = ?`,
			ses.AppID, ses.Room, ses.Participant)
		if err != nil {
			return err
		}
		if blocked {
			return fmt.Errorf("participant %q in room %q: %w", ses.Participant, ses.Room, storage.ErrBlocked)
		}
		same, err := w.sessions(`app_id = ? AND room = ? AND participant = ? AND state <> 'ended'`, ses.AppID, ses.Room, ses.Participant)
		if err != nil {
			return err
		}
		for _, old := range same {
			out, err := w.end(old, storage.EndDuplicateIdentity)
			if err != nil {
				return err
			}
			replaced = append(replaced, out)
		}
		if r.MaxParticipants > 0 {
			n, err := w.count(ses.AppID, ses.Room, `state <> 'ended'`)
			if err != nil {
				return err
			}
			if n >= r.MaxParticipants {
				return fmt.Errorf("room %q has %d participants: %w", r.Name, n, storage.ErrRoomFull)
			}
		}
		ses = newSession(ses, w.now)
		_, err = w.tx.ExecContext(ctx, `INSERT INTO sessions (`+sessionColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ses.ID, ses.AppID, ses.Room, ses.Participant, ses.Subject, ses.Role, names(ses.Permissions), string(ses.State),
			names(ses.Sources), ses.TokenID, ses.TokenIssuer, nullMillis(ses.TokenIssuedAt), nullMillis(ses.TokenExpiresAt),
			millis(ses.LeaseUntil), ses.EndReason, millis(ses.CreatedAt), millis(ses.UpdatedAt))
		if isUnique(err) {
			return fmt.Errorf("session %q: %w", ses.ID, storage.ErrAlreadyExists)
		}
		if err != nil {
			return fail("join room", err)
		}
		typ := storage.EventSessionJoined
		if ses.State == storage.SessionWaiting {
			typ = storage.EventSessionWaiting
		}
		return w.Event(ses.AppID, ses.Room, typ, ses.ID, roomdata.Session(ses, roomdata.Extra{}))
	})
	if err != nil {
		return storage.Session{}, nil, err
	}
	return ses, replaced, nil
}

// newSession returns ses as JoinRoom stores it at now.
func newSession(ses storage.Session, now time.Time) storage.Session {
	ses.Permissions = roomdata.Sorted(ses.Permissions)
	ses.Sources = []string{}
	ses.EndReason = ""
	ses.TokenIssuedAt = truncate(ses.TokenIssuedAt)
	ses.TokenExpiresAt = truncate(ses.TokenExpiresAt)
	ses.LeaseUntil = truncate(ses.LeaseUntil)
	ses.CreatedAt, ses.UpdatedAt = now, now
	return ses
}

// end ends ses for reason, with its event.
func (w *roomTx) end(ses storage.Session, reason string) (storage.Session, error) {
	ses = roomdata.Ended(ses, reason, w.now)
	if err := w.Save(ses); err != nil {
		return storage.Session{}, err
	}
	return ses, w.Event(ses.AppID, ses.Room, storage.EventSessionEnded, ses.ID, roomdata.Session(ses, roomdata.Extra{Reason: reason}))
}

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

// change runs fn on a session of a room, in a write transaction, and
// returns the session as fn left it.
func (s *Store) change(ctx context.Context, appID, room, id string, now time.Time, fn func(w *roomTx, r storage.Room, ses storage.Session) (storage.Session, error)) (storage.Session, error) {
	var out storage.Session
	err := s.writeRooms(ctx, now, nil, func(w *roomTx) error {
		r, err := w.room(appID, room)
		if err != nil {
			return err
		}
		ses, err := w.session(appID, room, id)
		if err != nil {
			return err
		}
		out, err = fn(w, r, ses)
		return err
	})
	if err != nil {
		return storage.Session{}, err
	}
	return out, nil
}

// AdmitSession implements storage.Rooms.
func (s *Store) AdmitSession(ctx context.Context, appID, room, id string, now time.Time) (storage.Session, error) {
	return s.change(ctx, appID, room, id, now, func(w *roomTx, _ storage.Room, ses storage.Session) (storage.Session, error) {
		if ses.State != storage.SessionWaiting {
			return storage.Session{}, fmt.Errorf("session %q is %s: %w", id, ses.State, storage.ErrConflict)
		}
		ses.State, ses.UpdatedAt = storage.SessionJoined, w.now
		if err := w.Save(ses); err != nil {
			return storage.Session{}, err
		}
		return ses, w.Event(appID, room, storage.EventSessionAdmitted, id, roomdata.Session(ses, roomdata.Extra{}))
	})
}

// EndSession implements storage.Rooms.
func (s *Store) EndSession(ctx context.Context, appID, room, id, reason string, now time.Time) (storage.Session, error) {
	if err := roomdata.CheckText("end reason", reason); err != nil {
		return storage.Session{}, err
	}
	return s.change(ctx, appID, room, id, now, func(w *roomTx, _ storage.Room, ses storage.Session) (storage.Session, error) {
		if ses.State == storage.SessionEnded {
			return storage.Session{}, fmt.Errorf("session %q already ended: %w", id, storage.ErrConflict)
		}
		return w.end(ses, reason)
	})
}

// EndExpiredSessions implements storage.Rooms.
func (s *Store) EndExpiredSessions(ctx context.Context, now time.Time) ([]storage.Session, error) {
	var ended []storage.Session
	err := s.writeRooms(ctx, now, nil, func(w *roomTx) error {
		at := millis(w.now)
		expired, err := w.sessions(`state <> 'ended' AND (lease_until <= ? OR token_expires_at <= ?)`, at, at)
		if err != nil {
			return err
		}
		for _, ses := range expired {
			reason := storage.EndLeaseExpired
			if ses.LeaseUntil.After(w.now) {
				reason = storage.EndTokenExpired
			}
			out, err := w.end(ses, reason)
			if err != nil {
				return err
			}
			ended = append(ended, out)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ended, nil
}

// RenewSession implements storage.Rooms.
func (s *Store) RenewSession(ctx context.Context, appID, room, id string, leaseUntil time.Time, tokenID, tokenIssuer string, tokenIssuedAt, tokenExpiresAt time.Time, now time.Time) (storage.Session, error) {
	if leaseUntil.IsZero() {
		return storage.Session{}, fmt.Errorf("a lease is required: %w", storage.ErrInvalid)
	}
	return s.change(ctx, appID, room, id, now, func(w *roomTx, _ storage.Room, ses storage.Session) (storage.Session, error) {
		if ses.State == storage.SessionEnded {
			return storage.Session{}, fmt.Errorf("session %q ended: %w", id, storage.ErrConflict)
		}
		ses.LeaseUntil, ses.UpdatedAt = truncate(leaseUntil), w.now
		if tokenID != "" {
			ses.TokenID, ses.TokenIssuer = tokenID, tokenIssuer
			ses.TokenIssuedAt, ses.TokenExpiresAt = truncate(tokenIssuedAt), truncate(tokenExpiresAt)
		}
		return ses, w.Save(ses)
	})
}
