package roomdata

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// CreateRoom implements storage.Rooms. A room replacing an ended one of the
// same name starts with no blocked participants.
func (write Rooms) CreateRoom(ctx context.Context, r storage.Room, audit *storage.AuditEntry) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return write(ctx, r.CreatedAt, audit, func(w Writer) error {
		r.CreatedAt, r.EndedAt = w.Now(), time.Time{}
		old, err := w.LockRoom(r.AppID, r.Name)
		switch {
		case err == nil && !old.Ended():
			return fmt.Errorf("room %q of app %q is live: %w", r.Name, r.AppID, storage.ErrAlreadyExists)
		case err == nil:
			if err := w.SaveRoom(r); err != nil {
				return err
			}
			err = w.Unblock(r.AppID, r.Name)
		case errors.Is(err, storage.ErrNotFound):
			err = w.InsertRoom(r)
		}
		if err != nil {
			return err
		}
		return w.Event(r.AppID, r.Name, storage.EventRoomCreated, "", roomData(r))
	})
}

// EndRoom implements storage.Rooms.
func (write Rooms) EndRoom(ctx context.Context, appID, name string, now time.Time, audit *storage.AuditEntry) ([]storage.Session, error) {
	var ended []storage.Session
	err := write(ctx, now, audit, func(w Writer) error {
		r, err := w.LockRoom(appID, name)
		if err != nil {
			return err
		}
		if r.Ended() {
			return fmt.Errorf("room %q of app %q already ended: %w", name, appID, storage.ErrConflict)
		}
		live, err := w.Sessions(appID, name, "")
		if err != nil {
			return err
		}
		for _, ses := range live {
			out, err := end(w, ses, storage.EndRoomEnded)
			if err != nil {
				return err
			}
			ended = append(ended, out)
		}
		r.EndedAt = w.Now()
		if err := w.SaveRoom(r); err != nil {
			return err
		}
		return w.Event(appID, name, storage.EventRoomEnded, "", roomData(r))
	})
	if err != nil {
		return nil, err
	}
	return ended, nil
}

// BlockParticipant implements storage.Rooms.
func (write Rooms) BlockParticipant(ctx context.Context, appID, room, participant string, now time.Time, audit *storage.AuditEntry) (storage.Session, error) {
	if err := checkText("participant", participant); err != nil {
		return storage.Session{}, err
	}
	var kicked storage.Session
	err := write(ctx, now, audit, func(w Writer) error {
		if _, err := w.LockRoom(appID, room); err != nil {
			return err
		}
		if err := w.Block(appID, room, participant); err != nil {
			return err
		}
		live, err := w.Sessions(appID, room, participant)
		if err != nil {
			return err
		}
		for _, ses := range live {
			if kicked, err = end(w, ses, storage.EndKicked); err != nil {
				return err
			}
		}
		return w.Touch(appID, room)
	})
	if err != nil {
		return storage.Session{}, err
	}
	return kicked, nil
}
