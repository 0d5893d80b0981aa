package roomdata

import (
	"fmt"
	"slices"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// Writer is a backend's open room transaction: what the operations below
// need of it, so that both backends decide alike and differ only in SQL.
type Writer interface {
	// Now is the transaction's time.
	Now() time.Time
	// Save stores a changed session.
	Save(s storage.Session) error
	// Event appends a room event.
	Event(appID, room, typ, sessionID string, data []byte) error
	// CountProducers counts the room's joined sessions producing a source.
	CountProducers(appID, room string) (int, error)
}

// ClaimProducer adds source to a joined session, taking a producer slot of
// r if the session produced nothing yet.
func ClaimProducer(w Writer, r storage.Room, ses storage.Session, source string) (storage.Session, error) {
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
	ses.Sources, ses.UpdatedAt = With(ses.Sources, source), w.Now()
	if err := w.Save(ses); err != nil {
		return storage.Session{}, err
	}
	return ses, w.Event(ses.AppID, ses.Room, storage.EventProduceStarted, ses.ID, Session(ses, Extra{Source: source}))
}

// UpdateSession applies a moderator's change to a session not ended.
func UpdateSession(w Writer, ses storage.Session, u storage.SessionUpdate) (storage.Session, error) {
	if ses.State == storage.SessionEnded {
		return storage.Session{}, fmt.Errorf("session %q ended: %w", ses.ID, storage.ErrConflict)
	}
	var dropped []string
	ses.Sources, dropped = Without(ses.Sources, u.DropSources)
	if u.Permissions == nil && len(dropped) == 0 {
		return ses, nil
	}
	if u.Permissions != nil {
		ses.Permissions = Sorted(u.Permissions)
		if u.Role != "" {
			ses.Role = u.Role
		}
	}
	ses.UpdatedAt = w.Now()
	if err := w.Save(ses); err != nil {
		return storage.Session{}, err
	}
	if u.Permissions != nil {
		if err := w.Event(ses.AppID, ses.Room, storage.EventPermissionsChanged, ses.ID, Session(ses, Extra{})); err != nil {
			return storage.Session{}, err
		}
	}
	for _, src := range dropped {
		if err := w.Event(ses.AppID, ses.Room, storage.EventProduceStopped, ses.ID, Session(ses, Extra{Source: src})); err != nil {
			return storage.Session{}, err
		}
	}
	return ses, nil
}
