package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/internal/roomdata"
)

// CreateRoom implements storage.Rooms. A room replacing an ended one of the
// same name starts with no blocked participants.
func (s *Store) CreateRoom(ctx context.Context, r storage.Room, audit *storage.AuditEntry) error {
	if err := r.Validate(); err != nil {
		return err
	}
	r.CreatedAt = stamp(orNow(r.CreatedAt))
	r.EndedAt = time.Time{}
	return s.writeRooms(ctx, r.CreatedAt, audit, func(w *roomTx) error {
		if err := requireApp(ctx, w.tx, r.AppID); err != nil {
			return err
		}
		old, err := w.lockRoom(r.AppID, r.Name)
		switch {
		case err == nil && !old.Ended():
			return fmt.Errorf("room %q of app %q is live: %w", r.Name, r.AppID, storage.ErrAlreadyExists)
		case err == nil:
			err = replaceRoom(ctx, w.tx, r)
		case errors.Is(err, storage.ErrNotFound):
			_, err = w.tx.Exec(ctx, `INSERT INTO rooms (`+roomColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)`,
				r.AppID, r.Name, r.Type, r.MaxProducers, r.MaxParticipants, r.Metadata, r.CreatedBy, r.CreatedAt)
			if isUnique(err) {
				return fmt.Errorf("room %q of app %q is live: %w", r.Name, r.AppID, storage.ErrAlreadyExists)
			}
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
func replaceRoom(ctx context.Context, tx pgx.Tx, r storage.Room) error {
	_, err := tx.Exec(ctx, `UPDATE rooms SET type = $3, max_producers = $4, max_participants = $5, metadata = $6,
		created_by = $7, created_at = $8, ended_at = NULL WHERE app_id = $1 AND name = $2`,
		r.AppID, r.Name, r.Type, r.MaxProducers, r.MaxParticipants, r.Metadata, r.CreatedBy, r.CreatedAt)
	if err != nil {
		return fail("replace room", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM blocked_participants WHERE app_id = $1 AND room = $2`, r.AppID, r.Name); err != nil {
		return fail("replace room", err)
	}
	return nil
}

// GetRoom implements storage.Rooms.
func (s *Store) GetRoom(ctx context.Context, appID, name string) (storage.Room, error) {
	r, err := scanRoom(s.pool.QueryRow(ctx, `SELECT `+roomColumns+` FROM rooms WHERE app_id = $1 AND name = $2`, appID, name))
	if errors.Is(err, pgx.ErrNoRows) {
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
		r, err := w.lockRoom(appID, name)
		if err != nil {
			return err
		}
		if r.Ended() {
			return fmt.Errorf("room %q of app %q already ended: %w", name, appID, storage.ErrConflict)
		}
		live, err := w.sessions(`app_id = $1 AND room = $2 AND state <> 'ended'`, appID, name)
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
		if _, err := w.tx.Exec(ctx, `UPDATE rooms SET ended_at = $1 WHERE app_id = $2 AND name = $3`, w.now, appID, name); err != nil {
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
		if _, err := w.lockRoom(appID, room); err != nil {
			return err
		}
		_, err := w.tx.Exec(ctx, `INSERT INTO blocked_participants (app_id, room, participant, created_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, appID, room, participant, w.now)
		if err != nil {
			return fail("block participant", err)
		}
		live, err := w.sessions(`app_id = $1 AND room = $2 AND participant = $3 AND state <> 'ended'`, appID, room, participant)
		if err != nil {
			return err
		}
		for _, ses := range live {
			if kicked, err = w.end(ses, storage.EndKicked); err != nil {
				return err
			}
		}
		w.touch(appID, room)
		return nil
	})
	if err != nil {
		return storage.Session{}, err
	}
	return kicked, nil
}

// Blocked implements storage.Rooms.
func (s *Store) Blocked(ctx context.Context, appID, room string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT participant FROM blocked_participants
		WHERE app_id = $1 AND room = $2 ORDER BY participant`, appID, room)
	return collect(rows, err, func(row scanner) (string, error) {
		var p string
		err := row.Scan(&p)
		return p, err
	})
}

// ListRoomEvents implements storage.Rooms.
func (s *Store) ListRoomEvents(ctx context.Context, appID, room string, afterSeq int64, n int) ([]storage.RoomEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, app_id, room, type, session_id, data, occurred_at FROM room_events
		WHERE app_id = $1 AND room = $2 AND seq > $3 ORDER BY seq LIMIT $4`, appID, room, afterSeq, limit(n))
	return collect(rows, err, func(row scanner) (storage.RoomEvent, error) {
		var e storage.RoomEvent
		if err := row.Scan(&e.Seq, &e.AppID, &e.Room, &e.Type, &e.SessionID, &e.Data, &e.Time); err != nil {
			return storage.RoomEvent{}, err
		}
		e.Time = e.Time.UTC()
		return e, nil
	})
}

// PruneRoomEvents implements storage.Rooms.
func (s *Store) PruneRoomEvents(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM room_events WHERE occurred_at < $1`, stamp(before))
	if err != nil {
		return 0, fail("prune room events", err)
	}
	return int(tag.RowsAffected()), nil
}
