package authority

import (
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// The authority's answers about rooms: what a caller may see of the rows
// storage keeps, in the authority's own types, so that what the store
// keeps (token ids, issuers, app ids) can change without the API noticing.

// Session states, as Session.State reports them.
const (
	SessionWaiting = string(storage.SessionWaiting)
	SessionJoined  = string(storage.SessionJoined)
	SessionEnded   = string(storage.SessionEnded)
)

// Session is one participant's presence in a room.
type Session struct {
	ID          string
	Room        string
	Participant string
	// UserID is the user id of the token the session joined with.
	UserID string
	// Role and Permissions are the session's effective rights, which
	// moderators may change; Permissions are sorted names.
	Role        string
	Permissions []string
	// State is SessionWaiting, SessionJoined or SessionEnded.
	State string
	// Sources are the sources the session produces, sorted.
	Sources []string
	// LeaseUntil is when the session ends unless renewed by a heartbeat.
	LeaseUntil time.Time
	// TokenExpiresAt is when the session ends with its token (under the
	// continuous policy); zero when its token's expiry does not end it.
	TokenExpiresAt time.Time
	// EndReason says why an ended session ended.
	EndReason string
	CreatedAt time.Time
}

// Waiting reports whether the session waits to be admitted.
func (s Session) Waiting() bool { return s.State == SessionWaiting }

// Producing reports whether the session holds a producer slot.
func (s Session) Producing() bool { return len(s.Sources) > 0 }

func sessionOf(s storage.Session) Session {
	return Session{
		ID: s.ID, Room: s.Room, Participant: s.Participant, UserID: s.Subject, Role: s.Role, Permissions: s.Permissions,
		State: string(s.State), Sources: s.Sources, LeaseUntil: s.LeaseUntil, TokenExpiresAt: s.TokenExpiresAt,
		EndReason: s.EndReason, CreatedAt: s.CreatedAt,
	}
}

// viewed is the Session of what a store operation returned.
func viewed(s storage.Session, err error) (Session, error) {
	if err != nil {
		return Session{}, err
	}
	return sessionOf(s), nil
}

// Room is a room and its settings.
type Room struct {
	Name            string
	Type            string
	MaxProducers    int
	MaxParticipants int
	Metadata        []byte
	// CreatedBy names who created the room: an API key or a user.
	CreatedBy string
	CreatedAt time.Time
	// EndedAt is when the room ended; zero while it is live.
	EndedAt time.Time
}

// Ended reports whether the room has ended.
func (r Room) Ended() bool { return !r.EndedAt.IsZero() }

func roomOf(r storage.Room) Room {
	return Room{
		Name: r.Name, Type: r.Type, MaxProducers: r.MaxProducers, MaxParticipants: r.MaxParticipants,
		Metadata: r.Metadata, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, EndedAt: r.EndedAt,
	}
}

// RoomView is a room with the sessions not ended in it, oldest first.
type RoomView struct {
	Room     Room
	Sessions []Session
}

// PermissionRequest is a session's request for a permission (a raised
// hand): pending until a moderator grants or denies it.
type PermissionRequest struct {
	ID         string
	SessionID  string
	Permission string
	// State is pending, granted or denied.
	State string
}

func requestOf(p storage.PermissionRequest) PermissionRequest {
	return PermissionRequest{ID: p.ID, SessionID: p.SessionID, Permission: p.Permission, State: p.State}
}

// Event is one thing that happened in a room, in the order it happened.
type Event struct {
	// Seq orders the events of every room; a stream's cursor is the Seq
	// of the last event read.
	Seq       int64
	Type      string
	Room      string
	SessionID string
	Time      time.Time
	// Session is the session concerned, as it is after the event; nil
	// for room events.
	Session *Session
	// RoomInfo is the room, for room.created and room.ended.
	RoomInfo *Room
	// Reason is why the session ended, for session.ended.
	Reason string
	// Source is the source started or stopped, for produce.*.
	Source string
	// Request is the permission request, for request.*.
	Request *PermissionRequest
}

func eventOf(e storage.RoomEvent) Event {
	out := Event{Seq: e.Seq, Type: e.Type, Room: e.Room, SessionID: e.SessionID, Time: e.Time, Reason: e.Data.Reason, Source: e.Data.Source}
	if s := e.Data.Session; s != nil {
		v := sessionOf(*s)
		out.Session = &v
	}
	if r := e.Data.Room; r != nil {
		v := roomOf(*r)
		out.RoomInfo = &v
	}
	if r := e.Data.Request; r != nil {
		v := requestOf(*r)
		out.Request = &v
	}
	return out
}

// App is a tenant: its keys, roles, rooms and tokens are its own.
type App struct {
	ID   string
	Name string
	// SessionPolicy is PolicyJoin or PolicyContinuous.
	SessionPolicy string
	CreatedAt     time.Time
}

func appOf(a storage.App) App {
	return App{ID: a.ID, Name: a.Name, SessionPolicy: a.SessionPolicy, CreatedAt: a.CreatedAt}
}

// APIKey is an app's API key, never with its secret.
type APIKey struct {
	ID        string
	AppID     string
	Kind      access.KeyKind
	CreatedAt time.Time
	// RevokedAt is when the key was revoked; zero while it is live.
	RevokedAt time.Time
}

// Revoked reports whether the key has been revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// AuditEntry is one administrative action of the audit log.
type AuditEntry struct {
	Seq    int64
	Time   time.Time
	Actor  string
	Action string
	AppID  string
	Target string
	// Detail is the action's JSON detail, if any.
	Detail []byte
}
