package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/internal/roomdata"
)

// ClaimProducer implements storage.Rooms.
func (s *Store) ClaimProducer(ctx context.Context, appID, room, id, source string, now time.Time) (storage.Session, error) {
	if err := roomdata.CheckText("source", source); err != nil {
		return storage.Session{}, err
	}
	return s.change(ctx, appID, room, id, now, func(w *roomTx, r storage.Room, ses storage.Session) (storage.Session, error) {
		return roomdata.ClaimProducer(w, r, ses, source)
	})
}

// ReleaseProducer implements storage.Rooms.
func (s *Store) ReleaseProducer(ctx context.Context, appID, room, id, source string, now time.Time) (storage.Session, error) {
	if err := roomdata.CheckText("source", source); err != nil {
		return storage.Session{}, err
	}
	return s.UpdateSession(ctx, appID, room, id, storage.SessionUpdate{DropSources: []string{source}}, now)
}

// UpdateSession implements storage.Rooms.
func (s *Store) UpdateSession(ctx context.Context, appID, room, id string, u storage.SessionUpdate, now time.Time) (storage.Session, error) {
	return s.change(ctx, appID, room, id, now, func(w *roomTx, _ storage.Room, ses storage.Session) (storage.Session, error) {
		return roomdata.UpdateSession(w, ses, u)
	})
}

// CreatePermissionRequest implements storage.Rooms.
func (s *Store) CreatePermissionRequest(ctx context.Context, r storage.PermissionRequest, now time.Time) (storage.PermissionRequest, error) {
	if err := roomdata.CheckRequest(r); err != nil {
		return storage.PermissionRequest{}, err
	}
	_, err := s.change(ctx, r.AppID, r.Room, r.SessionID, now, func(w *roomTx, _ storage.Room, ses storage.Session) (storage.Session, error) {
		if ses.State == storage.SessionEnded {
			return storage.Session{}, fmt.Errorf("session %q ended: %w", ses.ID, storage.ErrConflict)
		}
		r.State, r.CreatedAt, r.ResolvedAt = storage.RequestPending, w.now, time.Time{}
		_, err := w.tx.ExecContext(ctx, `INSERT INTO permission_requests (`+requestColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`,
			r.ID, r.AppID, r.Room, r.SessionID, r.Permission, r.State, millis(r.CreatedAt))
		if isUnique(err) {
			return storage.Session{}, fmt.Errorf("permission request %q: %w", r.ID, storage.ErrAlreadyExists)
		}
		if err != nil {
			return storage.Session{}, fail("create permission request", err)
		}
		return ses, w.Event(r.AppID, r.Room, storage.EventRequestCreated, ses.ID, roomdata.Session(ses, roomdata.Extra{Request: &r}))
	})
	if err != nil {
		return storage.PermissionRequest{}, err
	}
	return r, nil
}

// ResolvePermissionRequest implements storage.Rooms.
func (s *Store) ResolvePermissionRequest(ctx context.Context, appID, room, id string, grant bool, now time.Time) (storage.PermissionRequest, storage.Session, error) {
	var r storage.PermissionRequest
	var ses storage.Session
	err := s.writeRooms(ctx, now, nil, func(w *roomTx) error {
		var err error
		r, err = scanRequest(w.tx.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM permission_requests
			WHERE id = ? AND app_id = ? AND room = ?`, id, appID, room))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("permission request %q in room %q: %w", id, room, storage.ErrNotFound)
		}
		if err != nil {
			return fail("get permission request", err)
		}
		if ses, err = w.session(appID, room, r.SessionID); err != nil {
			return err
		}
		if r.State != storage.RequestPending || ses.State == storage.SessionEnded {
			return fmt.Errorf("permission request %q is %s, its session %s: %w", id, r.State, ses.State, storage.ErrConflict)
		}
		r.State, r.ResolvedAt = storage.RequestDenied, w.now
		if grant {
			r.State = storage.RequestGranted
		}
		if _, err := w.tx.ExecContext(ctx, `UPDATE permission_requests SET state = ?, resolved_at = ? WHERE id = ?`,
			r.State, millis(r.ResolvedAt), id); err != nil {
			return fail("resolve permission request", err)
		}
		granted := grant && !slices.Contains(ses.Permissions, r.Permission)
		if granted {
			ses.Permissions, ses.UpdatedAt = roomdata.With(ses.Permissions, r.Permission), w.now
			if err := w.Save(ses); err != nil {
				return err
			}
		}
		if err := w.Event(appID, room, storage.EventRequestResolved, ses.ID, roomdata.Session(ses, roomdata.Extra{Request: &r})); err != nil {
			return err
		}
		if granted {
			return w.Event(appID, room, storage.EventPermissionsChanged, ses.ID, roomdata.Session(ses, roomdata.Extra{}))
		}
		return nil
	})
	if err != nil {
		return storage.PermissionRequest{}, storage.Session{}, err
	}
	return r, ses, nil
}

const requestColumns = `id, app_id, room, session_id, permission, state, created_at, resolved_at`

func scanRequest(row scanner) (storage.PermissionRequest, error) {
	var r storage.PermissionRequest
	var created int64
	var resolved sql.NullInt64
	if err := row.Scan(&r.ID, &r.AppID, &r.Room, &r.SessionID, &r.Permission, &r.State, &created, &resolved); err != nil {
		return storage.PermissionRequest{}, err
	}
	r.CreatedAt = fromMillis(created)
	r.ResolvedAt = fromNullMillis(resolved)
	return r, nil
}
