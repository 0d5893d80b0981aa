package roomdata

import (
	"context"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// Writer is a backend's open room transaction: the reads and writes of
// rows that the room operations need, so that every backend decides alike.
// The operations lock a room before they decide
// on its sessions, so that writes to one room take turns.
type Writer interface {
	// Now is the transaction's time, as the database keeps it.
	Now() time.Time
	// Stamp returns t as the database keeps it; a zero t stays zero.
	Stamp(t time.Time) time.Time

	// LockRoom returns a room, or ErrNotFound, and holds back other writers
	// to that room until the transaction ends.
	LockRoom(appID, name string) (storage.Room, error)
	// InsertRoom stores a new room: ErrNotFound if its app does not exist,
	// ErrAlreadyExists if a room of that name does.
	InsertRoom(r storage.Room) error
	// SaveRoom stores every field of an existing room.
	SaveRoom(r storage.Room) error

	// Session returns a session of a room, ended or not, or ErrNotFound.
	Session(appID, room, id string) (storage.Session, error)
	// Sessions returns the room's sessions not ended, by creation; only
	// those of participant unless it is empty.
	Sessions(appID, room, participant string) ([]storage.Session, error)
	// ExpiredSessions returns, by creation, the sessions not ended, of any
	// room, whose lease or non-zero token expiry is not after Now.
	ExpiredSessions() ([]storage.Session, error)
	// CountSessions counts the room's sessions not ended.
	CountSessions(appID, room string) (int, error)
	// CountProducers counts the room's joined sessions producing a source.
	CountProducers(appID, room string) (int, error)
	// InsertSession stores a new session; ErrAlreadyExists if its id is
	// taken.
	InsertSession(s storage.Session) error
	// SaveSession stores the fields of a session that change after join.
	SaveSession(s storage.Session) error

	// IsBlocked reports whether a participant is barred from the room.
	IsBlocked(appID, room, participant string) (bool, error)
	// Block bars a participant from the room; blocking again changes
	// nothing.
	Block(appID, room, participant string) error
	// Unblock forgets every participant barred from the room.
	Unblock(appID, room string) error

	// Request returns a permission request of a room, or ErrNotFound.
	Request(appID, room, id string) (storage.PermissionRequest, error)
	// InsertRequest stores a new permission request; ErrAlreadyExists if
	// its id is taken.
	InsertRequest(r storage.PermissionRequest) error
	// SaveRequest stores the state and resolution time of a request.
	SaveRequest(r storage.PermissionRequest) error

	// Event appends a room event at Now.
	Event(appID, room, typ, sessionID string, data storage.RoomEventData) error
	// Touch records that the room changed without an event of its own, so
	// that the room's watchers look again.
	Touch(appID, room string) error
}

// Rooms runs fn in one write transaction of a backend, at now (the current
// time if zero) and with the audit entry, if any, and announces the rooms
// fn touched once the transaction committed. Its methods are the
// operations of storage.Rooms that write, the same on every backend: a
// backend implements them by calling them on its transaction runner.
type Rooms func(ctx context.Context, now time.Time, audit *storage.AuditEntry, fn func(w Writer) error) error

// change runs fn on a session of a live or ended room, in a write
// transaction with the room locked, and returns the session as fn left it.
func (write Rooms) change(ctx context.Context, appID, room, id string, now time.Time, fn func(w Writer, r storage.Room, ses storage.Session) (storage.Session, error)) (storage.Session, error) {
	var out storage.Session
	err := write(ctx, now, nil, func(w Writer) error {
		r, err := w.LockRoom(appID, room)
		if err != nil {
			return err
		}
		ses, err := w.Session(appID, room, id)
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

// end ends ses for reason, with its event: it produces nothing any more.
func end(w Writer, ses storage.Session, reason string) (storage.Session, error) {
	ses.State, ses.EndReason, ses.Sources, ses.UpdatedAt = storage.SessionEnded, reason, []string{}, w.Now()
	if err := w.SaveSession(ses); err != nil {
		return storage.Session{}, err
	}
	return ses, w.Event(ses.AppID, ses.Room, storage.EventSessionEnded, ses.ID, sessionData(ses, storage.RoomEventData{Reason: reason}))
}
