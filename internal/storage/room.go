package storage

import (
	"context"
	"fmt"
	"time"
)

// Room is a call, livestream or conference of an app. Its name is the room
// that tokens are bound to.
type Room struct {
	// AppID is the app that owns the room; the app must exist.
	AppID string
	// Name identifies the room within its app.
	Name string
	// Type is livestream, private, conference or custom.
	Type string
	// MaxProducers caps the participants producing any source at once; zero
	// means no cap.
	MaxProducers int
	// MaxParticipants caps the sessions not ended (joined or waiting); zero
	// means no cap.
	MaxParticipants int
	// Metadata is the caller's JSON, opaque to the store.
	Metadata []byte
	// CreatedBy names who created the room (an audit actor).
	CreatedBy string
	// CreatedAt is when the room was created.
	CreatedAt time.Time
	// EndedAt is when the room ended; zero while it is live.
	EndedAt time.Time
}

// Ended reports whether the room has ended.
func (r Room) Ended() bool { return !r.EndedAt.IsZero() }

// Validate reports ErrInvalid if the room lacks an app, a name or a type, or
// has a negative cap.
func (r Room) Validate() error {
	if r.AppID == "" || r.Name == "" || r.Type == "" {
		return fmt.Errorf("room needs an app, a name and a type: %w", ErrInvalid)
	}
	if r.MaxProducers < 0 || r.MaxParticipants < 0 {
		return fmt.Errorf("room caps must not be negative: %w", ErrInvalid)
	}
	return nil
}

// SessionState is where a session is in its life.
type SessionState string

// The states of a session: waiting for a moderator to admit it, joined, or
// ended (for good: a participant who comes back starts a new session).
const (
	SessionWaiting SessionState = "waiting"
	SessionJoined  SessionState = "joined"
	SessionEnded   SessionState = "ended"
)

// Session is one participant's presence in a room.
type Session struct {
	// ID identifies the session; the caller generates it.
	ID string
	// AppID and Room name the room, which must exist and be live to join.
	AppID string
	Room  string
	// Participant is the identity in the room: the token's participant
	// binding, else its subject. One identity has at most one session not
	// ended per room.
	Participant string
	// Subject is the user id of the token (the sub claim).
	Subject string
	// Role and Permissions are the session's effective rights, which
	// moderators may change; Permissions are sorted names.
	Role        string
	Permissions []string
	// State is set by the store on join (the caller's waiting or joined
	// asks for one or the other) and by the operations below.
	State SessionState
	// Sources are the sources the session produces (camera, microphone,
	// screen), sorted. A session producing any source holds one producer
	// slot of its room.
	Sources []string
	// TokenID, TokenIssuer, TokenIssuedAt and TokenExpiresAt describe the
	// access token the session runs on, so revocations can be matched
	// against it. A zero TokenExpiresAt means the token is not watched.
	TokenID        string
	TokenIssuer    string
	TokenIssuedAt  time.Time
	TokenExpiresAt time.Time
	// LeaseUntil is when the session ends unless renewed by a heartbeat.
	LeaseUntil time.Time
	// EndReason says why an ended session ended.
	EndReason string
	// CreatedAt and UpdatedAt are set by the store.
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Producing reports whether the session holds a producer slot.
func (s Session) Producing() bool { return len(s.Sources) > 0 }

// Validate reports ErrInvalid if the session lacks an id, a room, a
// participant or a lease, or asks to start ended.
func (s Session) Validate() error {
	if s.ID == "" || s.AppID == "" || s.Room == "" || s.Participant == "" || s.LeaseUntil.IsZero() {
		return fmt.Errorf("session needs an id, an app, a room, a participant and a lease: %w", ErrInvalid)
	}
	if s.State != SessionWaiting && s.State != SessionJoined {
		return fmt.Errorf("session state %q: %w", s.State, ErrInvalid)
	}
	return nil
}

// Reasons a session ends, recorded in Session.EndReason.
const (
	EndLeft              = "left"
	EndKicked            = "kicked"
	EndRejected          = "rejected"
	EndDuplicateIdentity = "duplicate_identity"
	EndLeaseExpired      = "lease_expired"
	EndTokenExpired      = "expired"
	EndRevoked           = "revoked"
	EndRoomEnded         = "room_ended"
)

// RoomEvent is one thing that happened in a room, in the order the store
// committed it. Every room operation appends its events in its own
// transaction.
type RoomEvent struct {
	// Seq is assigned by the store, strictly increasing in commit order
	// across all rooms: the id a reconnecting event stream resumes from.
	Seq int64
	// AppID and Room name the room.
	AppID string
	Room  string
	// Type is what happened (see the Event constants).
	Type string
	// SessionID is the session concerned, if any.
	SessionID string
	// Data is what the event carries.
	Data RoomEventData
	// Time is when it happened.
	Time time.Time
}

// RoomEventData is what a room event carries: the session as it is after
// the change (or the room, for room.created and room.ended), and the
// reason, source or request where they apply. The store keeps it in a
// format of its own; the API renders it.
type RoomEventData struct {
	// Session is the session concerned, after the change; nil for room
	// events.
	Session *Session
	// Room is the room, for room.created and room.ended.
	Room *Room
	// Reason is why the session ended, for session.ended.
	Reason string
	// Source is the source started or stopped, for produce.*.
	Source string
	// Request is the permission request, for request.*.
	Request *PermissionRequest
}

// Room event types.
const (
	EventRoomCreated        = "room.created"
	EventRoomEnded          = "room.ended"
	EventSessionJoined      = "session.joined"
	EventSessionWaiting     = "session.waiting"
	EventSessionAdmitted    = "session.admitted"
	EventSessionEnded       = "session.ended" // Data has "reason"
	EventProduceStarted     = "produce.started"
	EventProduceStopped     = "produce.stopped"
	EventPermissionsChanged = "permissions.changed"
	EventRequestCreated     = "request.created"
	EventRequestResolved    = "request.resolved"
)

// PermissionRequest is a participant asking a moderator for a permission it
// lacks (raise hand).
type PermissionRequest struct {
	// ID identifies the request; the caller generates it.
	ID         string
	AppID      string
	Room       string
	SessionID  string
	Permission string
	// State is pending, granted or denied; set by the store.
	State      string
	CreatedAt  time.Time
	ResolvedAt time.Time
}

// Permission request states.
const (
	RequestPending = "pending"
	RequestGranted = "granted"
	RequestDenied  = "denied"
)

// SessionUpdate is a moderator's change to a session's rights.
type SessionUpdate struct {
	// Role and Permissions replace the session's when Permissions is not
	// nil; Role may be empty to keep it.
	Role        string
	Permissions []string
	// DropSources stops producing these sources (mute, or a demotion that
	// removed their permission); a session left producing nothing frees its
	// producer slot.
	DropSources []string
}

// Rooms stores rooms, their sessions, permission requests and events. Every
// operation is atomic and appends its room events in the same transaction;
// limits are enforced inside it, so of racing callers exactly as many win
// as the limit allows, on every backend and across nodes.
//
// Operations on a session take its app, room and id; a session of another
// room is ErrNotFound. Operations that change a session return it as
// stored after the change.
type Rooms interface {
	// CreateRoom stores a live room. An ended room of the same name is
	// replaced, and who was blocked from it is forgotten; a live one is
	// ErrAlreadyExists. Unknown app: ErrNotFound.
	CreateRoom(ctx context.Context, r Room, audit *AuditEntry) error
	// GetRoom returns a room, live or ended, or ErrNotFound.
	GetRoom(ctx context.Context, appID, name string) (Room, error)
	// ListLiveRooms returns up to limit live rooms of an app whose names
	// sort after after, by name.
	ListLiveRooms(ctx context.Context, appID, after string, limit int) ([]Room, error)
	// EndRoom ends a live room and every session in it (EndRoomEnded),
	// and returns the sessions it ended. ErrNotFound if there is no such
	// room, ErrConflict if it already ended.
	EndRoom(ctx context.Context, appID, name string, now time.Time, audit *AuditEntry) ([]Session, error)

	// JoinRoom stores a new session, waiting or joined as s.State says.
	// The room must exist (ErrNotFound) and be live (ErrConflict); the
	// participant must not be blocked in it (ErrBlocked). A session of the
	// same participant that is not ended is ended first
	// (EndDuplicateIdentity), freeing its slots, and returned in replaced.
	// With MaxParticipants set, the sessions not ended, not counting the
	// replaced one, must be fewer than it (ErrRoomFull).
	JoinRoom(ctx context.Context, s Session, now time.Time) (joined Session, replaced []Session, err error)
	// GetSession returns a session, ended or not, or ErrNotFound.
	GetSession(ctx context.Context, appID, room, id string) (Session, error)
	// ListSessions returns the sessions not ended of one room, or of every
	// room of the app when room is empty, or of every app when appID is
	// empty too, ordered by creation.
	ListSessions(ctx context.Context, appID, room string) ([]Session, error)
	// ParticipantSession returns participant's session not ended in one
	// room, by index whatever the room's size; ErrNotFound if it has none.
	ParticipantSession(ctx context.Context, appID, room, participant string) (Session, error)
	// AdmitSession moves a waiting session to joined; ErrConflict if it is
	// not waiting. MaxParticipants was already checked at join.
	AdmitSession(ctx context.Context, appID, room, id string, now time.Time) (Session, error)
	// EndSession ends a session not ended yet (ErrConflict otherwise) with
	// reason, freeing its producer slot.
	EndSession(ctx context.Context, appID, room, id, reason string, now time.Time) (Session, error)
	// EndExpiredSessions ends every session whose lease is not after now
	// (EndLeaseExpired) or whose non-zero TokenExpiresAt is not after now
	// (EndTokenExpired), and returns them.
	EndExpiredSessions(ctx context.Context, now time.Time) ([]Session, error)

	// ClaimProducer adds source to a joined session's sources (ErrConflict
	// if it is not joined). A session producing nothing yet takes a
	// producer slot: with MaxProducers set, the room's producing sessions
	// must be fewer than it (ErrRoomFull). Adding a source already produced
	// changes nothing.
	ClaimProducer(ctx context.Context, appID, room, id, source string, now time.Time) (Session, error)
	// ReleaseProducer removes source from the session's sources; a source
	// not produced changes nothing.
	ReleaseProducer(ctx context.Context, appID, room, id, source string, now time.Time) (Session, error)
	// UpdateSession applies a moderator's change to a session not ended
	// (ErrConflict otherwise).
	UpdateSession(ctx context.Context, appID, room, id string, u SessionUpdate, now time.Time) (Session, error)
	// RenewSession extends a session's lease, and replaces the token it runs
	// on when tokenID is not empty; ErrConflict if the session ended.
	RenewSession(ctx context.Context, appID, room, id string, leaseUntil time.Time, tokenID, tokenIssuer string, tokenIssuedAt, tokenExpiresAt time.Time, now time.Time) (Session, error)

	// BlockParticipant bars a participant from joining the room again and,
	// in the same transaction, ends its session if one is not ended
	// (EndKicked), returning it (zero Session if there was none).
	BlockParticipant(ctx context.Context, appID, room, participant string, now time.Time, audit *AuditEntry) (Session, error)
	// Blocked lists the participants barred from a room.
	Blocked(ctx context.Context, appID, room string) ([]string, error)

	// CreatePermissionRequest stores a pending request of a session not
	// ended (ErrConflict otherwise).
	CreatePermissionRequest(ctx context.Context, r PermissionRequest, now time.Time) (PermissionRequest, error)
	// ResolvePermissionRequest grants or denies a pending request
	// (ErrConflict otherwise). Granting adds the permission to the
	// session's permissions in the same transaction.
	ResolvePermissionRequest(ctx context.Context, appID, room, id string, grant bool, now time.Time) (PermissionRequest, Session, error)

	// ListRoomEvents returns a room's events after seq, oldest first, at
	// most limit (zero or less: no cap).
	ListRoomEvents(ctx context.Context, appID, room string, afterSeq int64, limit int) ([]RoomEvent, error)
	// RoomEventCursor returns the Seq of a room's newest event kept, 0 if
	// it has none: where to follow the room from.
	RoomEventCursor(ctx context.Context, appID, room string) (int64, error)
	// EventCursor returns the Seq of the newest event kept of any room, 0
	// if there is none.
	EventCursor(ctx context.Context) (int64, error)
	// PruneRoomEvents deletes events older than before and returns how many.
	PruneRoomEvents(ctx context.Context, before time.Time) (int, error)
}

// SessionPolicies sets how an app's sessions treat token expiry.
type SessionPolicies interface {
	// SetSessionPolicy sets an app's session policy ("join" or
	// "continuous"); ErrNotFound for an unknown app.
	SetSessionPolicy(ctx context.Context, appID, policy string, audit *AuditEntry) error
}
