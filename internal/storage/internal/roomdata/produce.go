package roomdata

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// ClaimProducer implements storage.Rooms.
func (write Rooms) ClaimProducer(ctx context.Context, appID, room, id, source string, now time.Time) (storage.Session, error) {
	if err := checkText("source", source); err != nil {
		return storage.Session{}, err
	}
	return write.change(ctx, appID, room, id, now, func(w Writer, r storage.Room, ses storage.Session) (storage.Session, error) {
		if ses.State != storage.SessionJoined {
			return storage.Session{}, fmt.Errorf("session %q is %s: %w", ses.ID, ses.State, storage.ErrConflict)
		}
		if slices.Contains(ses.Sources, source) {
			return ses, nil
		}
		if !ses.Producing() && r.MaxProducers > 0 {
			n, err := w.CountProducers(r.AppID, r.Name)
			if err != nil {
				return storage.Session{}, err
			}
			if n >= r.MaxProducers {
				return storage.Session{}, fmt.Errorf("room %q has %d producers: %w", r.Name, n, storage.ErrRoomFull)
			}
		}
		ses.Sources, ses.UpdatedAt = with(ses.Sources, source), w.Now()
		if err := w.SaveSession(ses); err != nil {
			return storage.Session{}, err
		}
		return ses, w.Event(ses.AppID, ses.Room, storage.EventProduceStarted, ses.ID, sessionData(ses, storage.RoomEventData{Source: source}))
	})
}

// ReleaseProducer implements storage.Rooms.
func (write Rooms) ReleaseProducer(ctx context.Context, appID, room, id, source string, now time.Time) (storage.Session, error) {
	if err := checkText("source", source); err != nil {
		return storage.Session{}, err
	}
	return write.UpdateSession(ctx, appID, room, id, storage.SessionUpdate{DropSources: []string{source}}, now)
}

// UpdateSession implements storage.Rooms.
func (write Rooms) UpdateSession(ctx context.Context, appID, room, id string, u storage.SessionUpdate, now time.Time) (storage.Session, error) {
	return write.change(ctx, appID, room, id, now, func(w Writer, _ storage.Room, ses storage.Session) (storage.Session, error) {
		if ses.State == storage.SessionEnded {
			return storage.Session{}, fmt.Errorf("session %q ended: %w", ses.ID, storage.ErrConflict)
		}
		var dropped []string
		ses.Sources, dropped = without(ses.Sources, u.DropSources)
		if u.Permissions == nil && len(dropped) == 0 {
			return ses, nil
		}
		if u.Permissions != nil {
			ses.Permissions = sorted(u.Permissions)
			if u.Role != "" {
				ses.Role = u.Role
			}
		}
		ses.UpdatedAt = w.Now()
		if err := w.SaveSession(ses); err != nil {
			return storage.Session{}, err
		}
		if u.Permissions != nil {
			if err := w.Event(ses.AppID, ses.Room, storage.EventPermissionsChanged, ses.ID, sessionData(ses, storage.RoomEventData{})); err != nil {
				return storage.Session{}, err
			}
		}
		for _, src := range dropped {
			if err := w.Event(ses.AppID, ses.Room, storage.EventProduceStopped, ses.ID, sessionData(ses, storage.RoomEventData{Source: src})); err != nil {
				return storage.Session{}, err
			}
		}
		return ses, nil
	})
}

// CreatePermissionRequest implements storage.Rooms.
func (write Rooms) CreatePermissionRequest(ctx context.Context, r storage.PermissionRequest, now time.Time) (storage.PermissionRequest, error) {
	if err := checkRequest(r); err != nil {
		return storage.PermissionRequest{}, err
	}
	_, err := write.change(ctx, r.AppID, r.Room, r.SessionID, now, func(w Writer, _ storage.Room, ses storage.Session) (storage.Session, error) {
		if ses.State == storage.SessionEnded {
			return storage.Session{}, fmt.Errorf("session %q ended: %w", ses.ID, storage.ErrConflict)
		}
		r.State, r.CreatedAt, r.ResolvedAt = storage.RequestPending, w.Now(), time.Time{}
		if err := w.InsertRequest(r); err != nil {
			return storage.Session{}, err
		}
		return ses, w.Event(r.AppID, r.Room, storage.EventRequestCreated, ses.ID, sessionData(ses, storage.RoomEventData{Request: &r}))
	})
	if err != nil {
		return storage.PermissionRequest{}, err
	}
	return r, nil
}

// ResolvePermissionRequest implements storage.Rooms.
func (write Rooms) ResolvePermissionRequest(ctx context.Context, appID, room, id string, grant bool, now time.Time) (storage.PermissionRequest, storage.Session, error) {
	var r storage.PermissionRequest
	var ses storage.Session
	err := write(ctx, now, nil, func(w Writer) error {
		if _, err := w.LockRoom(appID, room); err != nil {
			return err
		}
		var err error
		if r, err = w.Request(appID, room, id); err != nil {
			return err
		}
		if ses, err = w.Session(appID, room, r.SessionID); err != nil {
			return err
		}
		if r.State != storage.RequestPending || ses.State == storage.SessionEnded {
			return fmt.Errorf("permission request %q is %s, its session %s: %w", id, r.State, ses.State, storage.ErrConflict)
		}
		r.State, r.ResolvedAt = storage.RequestDenied, w.Now()
		if grant {
			r.State = storage.RequestGranted
		}
		if err := w.SaveRequest(r); err != nil {
			return err
		}
		granted := grant && !slices.Contains(ses.Permissions, r.Permission)
		if granted {
			ses.Permissions, ses.UpdatedAt = with(ses.Permissions, r.Permission), w.Now()
			if err := w.SaveSession(ses); err != nil {
				return err
			}
		}
		if err := w.Event(appID, room, storage.EventRequestResolved, ses.ID, sessionData(ses, storage.RoomEventData{Request: &r})); err != nil {
			return err
		}
		if granted {
			return w.Event(appID, room, storage.EventPermissionsChanged, ses.ID, sessionData(ses, storage.RoomEventData{}))
		}
		return nil
	})
	if err != nil {
		return storage.PermissionRequest{}, storage.Session{}, err
	}
	return r, ses, nil
}
