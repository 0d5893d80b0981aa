package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/internal/roomdata"
)

// CreateRoom implements storage.Rooms. A room replacing an ended one of the
// same name starts with no blocked participants.
func (s *Store) CreateRoom(ctx context.Context, r storage.Room, audit *storage.AuditEntry) error {
	if err := r.Validate(); err != nil {
		return err
	}
	r.CreatedAt = truncate(orNow(r.CreatedAt))
	r.EndedAt = time.Time{}
	return s.writeRooms(ctx, r.CreatedAt, audit, func(w *roomTx) error {
		if err := requireApp(ctx, w.tx, r.AppID); err != nil {
			return err
		}
		old, err := w.room(r.AppID, r.Name)
		switch {
		case err == nil && !old.Ended():
			return fmt.Errorf("room %q of app %q is live: %w", r.Name, r.AppID, storage.ErrAlreadyExists)
		case err == nil:
			err = replaceRoom(ctx, w.tx, r)
		case errors.Is(err, storage.ErrNotFound):
			_, err = w.tx.ExecContext(ctx, `INSERT INTO rooms (`+roomColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
				r.AppID, r.Name, r.Type, r.MaxProducers, r.MaxParticipants, r.Metadata, r.CreatedBy, millis(r.CreatedAt))
			if err != nil {
				err = fail("create room", err)
			}
		}
		if err != nil {
			return err
		}
		return w.Event(r.AppID, r.Name, storage.EventRoomCreated, "", roomdata.Room(r))
	})
}

// replaceRoom stores r in place of the ended room of the same name, and
// forgets who was blocked from that one.
func replaceRoom(ctx context.Context, tx *sql.Tx, r storage.Room) error {
	_, err := tx.ExecContext(ctx, `UPDATE rooms SET type = ?, max_producers = ?, max_participants = ?, metadata = ?,
		created_by = ?, created_at = ?, ended_at = NULL WHERE app_id = ? AND name = ?`,
		r.Type, r.MaxProducers, r.MaxParticipants, r.Metadata, r.CreatedBy, millis(r.CreatedAt), r.AppID, r.Name)
	if err != nil {
		return fail("replace room", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM blocked_participants WHERE app_id = ? AND room = ?`, r.AppID, r.Name); err != nil {
		return fail("replace room", err)
	}
	return nil
}

// GetRoom implements storage.Rooms.
func (s *Store) GetRoom(ctx context.Context, appID, name string) (storage.Room, error) {
	r, err := scanRoom(s.db.QueryRowContext(ctx, `SELECT `+roomColumns+` FROM rooms WHERE app_id = ? AND name = ?`, appID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return storage.Room{}, fmt.Errorf("room %q of app %q: %w", name, appID, storage.ErrNotFound)
	}
	if err != nil {
		return storage.Room{}, fail("get room", err)
	}
	return r, nil
}

// EndRoom implements storage.Rooms.
func (s *Store) EndRoom(ctx context.Context, appID, name string, now time.Time, audit *storage.AuditEntry) ([]storage.Session, error) {
	var ended []storage.Session
	err := s.writeRooms(ctx, now, audit, func(w *roomTx) error {
		r, err := w.room(appID, name)
		if err != nil {
			return err
		}
		if r.Ended() {
			return fmt.Errorf("room %q of app %q already ended: %w", name, appID, storage.ErrConflict)
		}
		live, err := w.sessions(`app_id = ? AND room = ? AND state <> 'ended'`, appID, name)
		if err != nil {
			return err
		}
		for _, ses := range live {
			out, err := w.end(ses, storage.EndRoomEnded)
			if err != nil {
				return err
			}
			ended = append(ended, out)
		}
		r.EndedAt = w.now
		if _, err := w.tx.ExecContext(ctx, `UPDATE rooms SET ended_at = ? WHERE app_id = ? AND name = ?`, millis(w.now), appID, name); err != nil {
			return fail("end room", err)
		}
		return w.Event(appID, name, storage.EventRoomEnded, "", roomdata.Room(r))
	})
	if err != nil {
		return nil, err
	}
	return ended, nil
}

// BlockParticipant implements storage.Rooms.
func (s *Store) BlockParticipant(ctx context.Context, appID, room, participant string, now time.Time, audit *storage.AuditEntry) (storage.Session, error) {
	if err := roomdata.CheckText("participant", participant); err != nil {
		return storage.Session{}, err
	}
	var kicked storage.Session
	err := s.writeRooms(ctx, now, audit, func(w *roomTx) error {
		if _, err := w.room(appID, room); err != nil {
			return err
		}
		_, err := w.tx.ExecContext(ctx, `INSERT INTO blocked_participants (app_id, room, participant, created_at)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, appID, room, participant, millis(w.now))
		if err != nil {
			return fail("block participant", err)
		}
		live, err := w.sessions(`app_id = ? AND room = ? AND participant = ? AND state <> 'ended'`, appID, room, participant)
		if err != nil {
			return err
		}
		for _, ses := range live {
			if kicked, err = w.end(ses, storage.EndKicked); err != nil {
				return err
			}
		}
		return w.touchQuietly(appID, room)
	})
	if err != nil {
		return storage.Session{}, err
	}
	return kicked, nil
}

// Blocked implements storage.Rooms.
func (s *Store) Blocked(ctx context.Context, appID, room string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT participant FROM blocked_participants
		WHERE app_id = ? AND room = ? ORDER BY participant`, appID, room)
	if err != nil {
		return nil, fail("list blocked participants", err)
	}
	return collect(rows, func(row scanner) (string, error) {
		var p string
		err := row.Scan(&p)
		return p, err
	})
}

// ListRoomEvents implements storage.Rooms.
func (s *Store) ListRoomEvents(ctx context.Context, appID, room string, afterSeq int64, limit int) ([]storage.RoomEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, app_id, room, type, session_id, data, occurred_at FROM room_events
		WHERE app_id = ? AND room = ? AND seq > ? ORDER BY seq`+limitClause(limit), appID, room, afterSeq)
	if err != nil {
		return nil, fail("list room events", err)
	}
	return collect(rows, func(row scanner) (storage.RoomEvent, error) {
		var e storage.RoomEvent
		var at int64
		if err := row.Scan(&e.Seq, &e.AppID, &e.Room, &e.Type, &e.SessionID, &e.Data, &at); err != nil {
			return storage.RoomEvent{}, err
		}
		e.Time = fromMillis(at)
		return e, nil
	})
}

// PruneRoomEvents implements storage.Rooms.
func (s *Store) PruneRoomEvents(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := s.write(ctx, nil, func(tx *sql.Tx) ([]storage.Change, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM room_events WHERE occurred_at < ?`, millis(before))
		if err != nil {
			return nil, fail("prune room events", err)
		}
		n, err = rowsAffected(res)
		return nil, err
	})
	return n, err
}
