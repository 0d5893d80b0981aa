package postgres

import (
	"context"
	"fmt"
	"slices"
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
		r, err := w.lockRoom(ses.AppID, ses.Room)
		if err != nil {
			return err
		}
		if r.Ended() {
			return fmt.Errorf("room %q ended: %w", r.Name, storage.ErrConflict)
		}
		blocked, err := exists(ctx, w.tx, `SELECT 1 FROM blocked_participants WHERE app_id = $1 AND room = $2 AND participant = $3`,
			ses.AppID, ses.Room, ses.Participant)
		if err != nil {
			return err
		}
		if blocked {
			return fmt.Errorf("participant %q in room %q: %w", ses.Participant, ses.Room, storage.ErrBlocked)
		}
		same, err := w.sessions(`app_id = $1 AND room = $2 AND participant = $3 AND state <> 'ended'`, ses.AppID, ses.Room, ses.Participant)
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
		_, err = w.tx.Exec(ctx, `INSERT INTO sessions (`+sessionColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
			ses.ID, ses.AppID, ses.Room, ses.Participant, ses.Subject, ses.Role, names(ses.Permissions), string(ses.State),
			names(ses.Sources), ses.TokenID, ses.TokenIssuer, nullStamp(ses.TokenIssuedAt), nullStamp(ses.TokenExpiresAt),
			ses.LeaseUntil, ses.EndReason, ses.CreatedAt, ses.UpdatedAt)
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
	ses.TokenIssuedAt = stamp(ses.TokenIssuedAt)
	ses.TokenExpiresAt = stamp(ses.TokenExpiresAt)
	ses.LeaseUntil = stamp(ses.LeaseUntil)
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
	return getSession(ctx, s.pool, appID, room, id)
}

// ListSessions implements storage.Rooms.
func (s *Store) ListSessions(ctx context.Context, appID, room string) ([]storage.Session, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE app_id = $1 AND ($2 = '' OR room = $3) AND state <> 'ended' ORDER BY created_at, ord`, appID, room, room)
	return collect(rows, err, scanSession)
}

// change runs fn on a session of a room, in a write transaction, and
// returns the session as fn left it.
func (s *Store) change(ctx context.Context, appID, room, id string, now time.Time, fn func(w *roomTx, r storage.Room, ses storage.Session) (storage.Session, error)) (storage.Session, error) {
	var out storage.Session
	err := s.writeRooms(ctx, now, nil, func(w *roomTx) error {
		r, err := w.lockRoom(appID, room)
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

// EndExpiredSessions implements storage.Rooms. It locks the rooms of the
// expired sessions in one order, so that sweeps of several nodes take
// turns, then ends the sessions still expired in them.
func (s *Store) EndExpiredSessions(ctx context.Context, now time.Time) ([]storage.Session, error) {
	const expired = `state <> 'ended' AND (lease_until <= $1 OR token_expires_at <= $1)`
	var ended []storage.Session
	err := s.writeRooms(ctx, now, nil, func(w *roomTx) error {
		rows, err := w.tx.Query(ctx, `SELECT DISTINCT app_id, room FROM sessions WHERE `+expired+` ORDER BY app_id, room`, w.now)
		rooms, err := collect(rows, err, func(row scanner) ([2]string, error) {
			var k [2]string
			err := row.Scan(&k[0], &k[1])
			return k, err
		})
		if err != nil {
			return err
		}
		for _, k := range rooms {
			if _, err := w.lockRoom(k[0], k[1]); err != nil {
				return err
			}
		}
		gone, err := w.sessions(expired, w.now)
		if err != nil {
			return err
		}
		for _, ses := range gone {
			if !slices.Contains(rooms, [2]string{ses.AppID, ses.Room}) {
				continue // its room is not locked: the next sweep ends it
			}
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
		ses.LeaseUntil, ses.UpdatedAt = stamp(leaseUntil), w.now
		if tokenID != "" {
			ses.TokenID, ses.TokenIssuer = tokenID, tokenIssuer
			ses.TokenIssuedAt, ses.TokenExpiresAt = stamp(tokenIssuedAt), stamp(tokenExpiresAt)
		}
		return ses, w.Save(ses)
	})
}
