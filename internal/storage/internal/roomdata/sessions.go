package roomdata

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// JoinRoom implements storage.Rooms.
func (write Rooms) JoinRoom(ctx context.Context, ses storage.Session, now time.Time) (storage.Session, []storage.Session, error) {
	if err := ses.Validate(); err != nil {
		return storage.Session{}, nil, err
	}
	var replaced []storage.Session
	err := write(ctx, now, nil, func(w Writer) error {
		r, err := w.LockRoom(ses.AppID, ses.Room)
		if err != nil {
			return err
		}
		if r.Ended() {
			return fmt.Errorf("room %q ended: %w", r.Name, storage.ErrConflict)
		}
		blocked, err := w.IsBlocked(ses.AppID, ses.Room, ses.Participant)
		if err != nil {
			return err
		}
		if blocked {
			return fmt.Errorf("participant %q in room %q: %w", ses.Participant, ses.Room, storage.ErrBlocked)
		}
		same, err := w.Sessions(ses.AppID, ses.Room, ses.Participant)
		if err != nil {
			return err
		}
		for _, old := range same {
			out, err := end(w, old, storage.EndDuplicateIdentity)
			if err != nil {
				return err
			}
			replaced = append(replaced, out)
		}
		if r.MaxParticipants > 0 {
			n, err := w.CountSessions(ses.AppID, ses.Room)
			if err != nil {
				return err
			}
			if n >= r.MaxParticipants {
				return fmt.Errorf("room %q has %d participants: %w", r.Name, n, storage.ErrRoomFull)
			}
		}
		ses = newSession(w, ses)
		if err := w.InsertSession(ses); err != nil {
			return err
		}
		typ := storage.EventSessionJoined
		if ses.State == storage.SessionWaiting {
			typ = storage.EventSessionWaiting
		}
		return w.Event(ses.AppID, ses.Room, typ, ses.ID, sessionData(ses, storage.RoomEventData{}))
	})
	if err != nil {
		return storage.Session{}, nil, err
	}
	return ses, replaced, nil
}

// newSession returns ses as JoinRoom stores it.
func newSession(w Writer, ses storage.Session) storage.Session {
	ses.Permissions = sorted(ses.Permissions)
	ses.Sources = []string{}
	ses.EndReason = ""
	ses.TokenIssuedAt = w.Stamp(ses.TokenIssuedAt)
	ses.TokenExpiresAt = w.Stamp(ses.TokenExpiresAt)
	ses.LeaseUntil = w.Stamp(ses.LeaseUntil)
	ses.CreatedAt, ses.UpdatedAt = w.Now(), w.Now()
	return ses
}

// AdmitSession implements storage.Rooms.
func (write Rooms) AdmitSession(ctx context.Context, appID, room, id string, now time.Time) (storage.Session, error) {
	return write.change(ctx, appID, room, id, now, func(w Writer, _ storage.Room, ses storage.Session) (storage.Session, error) {
		if ses.State != storage.SessionWaiting {
			return storage.Session{}, fmt.Errorf("session %q is %s: %w", id, ses.State, storage.ErrConflict)
		}
		ses.State, ses.UpdatedAt = storage.SessionJoined, w.Now()
		if err := w.SaveSession(ses); err != nil {
			return storage.Session{}, err
		}
		return ses, w.Event(appID, room, storage.EventSessionAdmitted, id, sessionData(ses, storage.RoomEventData{}))
	})
}

// EndSession implements storage.Rooms.
func (write Rooms) EndSession(ctx context.Context, appID, room, id, reason string, now time.Time) (storage.Session, error) {
	if err := checkText("end reason", reason); err != nil {
		return storage.Session{}, err
	}
	return write.change(ctx, appID, room, id, now, func(w Writer, _ storage.Room, ses storage.Session) (storage.Session, error) {
		if ses.State == storage.SessionEnded {
			return storage.Session{}, fmt.Errorf("session %q already ended: %w", id, storage.ErrConflict)
		}
		return end(w, ses, reason)
	})
}

// roomKey names a room of an app.
type roomKey struct{ appID, room string }

// EndExpiredSessions implements storage.Rooms. It locks the rooms of the
// expired sessions in one order, so that sweeps of several nodes take
// turns, then ends the sessions still expired in them.
func (write Rooms) EndExpiredSessions(ctx context.Context, now time.Time) ([]storage.Session, error) {
	var ended []storage.Session
	err := write(ctx, now, nil, func(w Writer) error {
		expired, err := w.ExpiredSessions()
		if err != nil {
			return err
		}
		var rooms []roomKey
		for _, ses := range expired {
			rooms = append(rooms, roomKey{ses.AppID, ses.Room})
		}
		slices.SortFunc(rooms, func(a, b roomKey) int {
			return cmp.Or(cmp.Compare(a.appID, b.appID), cmp.Compare(a.room, b.room))
		})
		rooms = slices.Compact(rooms)
		for _, k := range rooms {
			if _, err := w.LockRoom(k.appID, k.room); err != nil {
				return err
			}
		}
		if expired, err = w.ExpiredSessions(); err != nil {
			return err
		}
		for _, ses := range expired {
			if !slices.Contains(rooms, roomKey{ses.AppID, ses.Room}) {
				continue // its room is not locked: the next sweep ends it
			}
			reason := storage.EndLeaseExpired
			if ses.LeaseUntil.After(w.Now()) {
				reason = storage.EndTokenExpired
			}
			out, err := end(w, ses, reason)
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
func (write Rooms) RenewSession(ctx context.Context, appID, room, id string, leaseUntil time.Time, tokenID, tokenIssuer string, tokenIssuedAt, tokenExpiresAt time.Time, now time.Time) (storage.Session, error) {
	if leaseUntil.IsZero() {
		return storage.Session{}, fmt.Errorf("a lease is required: %w", storage.ErrInvalid)
	}
	return write.change(ctx, appID, room, id, now, func(w Writer, _ storage.Room, ses storage.Session) (storage.Session, error) {
		if ses.State == storage.SessionEnded {
			return storage.Session{}, fmt.Errorf("session %q ended: %w", id, storage.ErrConflict)
		}
		ses.LeaseUntil, ses.UpdatedAt = w.Stamp(leaseUntil), w.Now()
		if tokenID != "" {
			ses.TokenID, ses.TokenIssuer = tokenID, tokenIssuer
			ses.TokenIssuedAt, ses.TokenExpiresAt = w.Stamp(tokenIssuedAt), w.Stamp(tokenExpiresAt)
		}
		return ses, w.SaveSession(ses)
	})
}
