package client

import (
	"encoding/json"
	"time"

	"github.com/stagedoor/stagedoor/token"
)

// The bodies and answers of the API, as api/openapi.json names them. A
// request member left at its zero value is left out, which the API reads
// as its default.

// TokenRequest is the body of CreateToken (IssueRequest): a token for one
// of the app's users.
type TokenRequest struct {
	// UserID is the token's subject; required unless UserType is
	// anonymous.
	UserID string `json:"user_id,omitempty"`
	// Role is a built-in role or one of the app's custom roles.
	Role string `json:"role"`
	// Rooms binds the token to these rooms; none means any room.
	Rooms []string `json:"rooms,omitempty"`
	// ParticipantID binds the token to one participant identity.
	ParticipantID string          `json:"participant_id,omitempty"`
	Name          string          `json:"name,omitempty"`
	Image         string          `json:"image,omitempty"`
	Metadata      json.RawMessage `json:"metadata,omitempty"`
	// UserType is authenticated (the default), guest or anonymous.
	UserType string `json:"user_type,omitempty"`
	// Permissions are added to the role's, within what the key may grant.
	Permissions []string `json:"permissions,omitempty"`
	// TTLSeconds is the token's life; 0 means the server's default.
	TTLSeconds int64 `json:"ttl_seconds,omitempty"`
	// Audience is rtc (the default: media) or api (server-side APIs).
	Audience string `json:"audience,omitempty"`
	// Refresh asks for a refresh token too.
	Refresh bool `json:"refresh,omitempty"`
	// Format is stagedoor (the default) or livekit: a LiveKit access
	// token for the app's LiveKit project, for exactly one room.
	Format string `json:"format,omitempty"`
}

// GuestRequest is the body of CreateGuest: a temporary user with a
// generated id.
type GuestRequest struct {
	Name        string          `json:"name"`
	Image       string          `json:"image,omitempty"`
	Role        string          `json:"role,omitempty"`
	Rooms       []string        `json:"rooms,omitempty"`
	Metadata    json.RawMessage `json:"metadata,omitempty"`
	Permissions []string        `json:"permissions,omitempty"`
	TTLSeconds  int64           `json:"ttl_seconds,omitempty"`
}

// Token is an access token as the API issues it (TokenResponse).
type Token struct {
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type"`
	ExpiresIn   int64     `json:"expires_in"`
	ExpiresAt   time.Time `json:"expires_at"`
	// RefreshToken is there when asked for; it is good for one refresh.
	RefreshToken string `json:"refresh_token,omitempty"`
	// User is the guest a CreateGuest made.
	User *GuestUser `json:"user,omitempty"`
	// Format is livekit for a LiveKit access token, empty for stagedoor's.
	Format string `json:"format,omitempty"`
	// URL is, with Format livekit, the LiveKit server to connect to.
	URL string `json:"url,omitempty"`
}

// GuestUser is the user CreateGuest made.
type GuestUser struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Name  string `json:"name"`
	Image string `json:"image,omitempty"`
}

// VerifyRequest asks whether a token may do Permission in Room (as
// ParticipantID, if set).
type VerifyRequest struct {
	Room          string `json:"room,omitempty"`
	Permission    string `json:"permission"`
	ParticipantID string `json:"participant_id,omitempty"`
}

// Verification is the answer of an allowed Verify (VerifyResponse).
type Verification struct {
	Allowed     bool      `json:"allowed"`
	Subject     string    `json:"sub"`
	App         string    `json:"app"`
	Role        string    `json:"role"`
	Permissions []string  `json:"permissions"`
	Rooms       []string  `json:"rooms,omitempty"`
	Participant string    `json:"participant,omitempty"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// Grants are a token's grants as the API shows them.
type Grants struct {
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
	Rooms       []string `json:"rooms,omitempty"`
	Participant string   `json:"participant,omitempty"`
}

// Introspection is RFC 7662's answer: Active alone when the token is not
// an active token of the caller's app.
type Introspection struct {
	Active    bool        `json:"active"`
	TokenType string      `json:"token_type,omitempty"`
	ClientID  string      `json:"client_id,omitempty"`
	Issuer    string      `json:"iss,omitempty"`
	Subject   string      `json:"sub,omitempty"`
	Audience  string      `json:"aud,omitempty"`
	ID        string      `json:"jti,omitempty"`
	App       string      `json:"app,omitempty"`
	IssuedAt  int64       `json:"iat,omitempty"`
	ExpiresAt int64       `json:"exp,omitempty"`
	NotBefore int64       `json:"nbf,omitempty"`
	Scope     string      `json:"scope,omitempty"`
	Grants    *Grants     `json:"grants,omitempty"`
	User      *token.User `json:"user,omitempty"`
	Dev       bool        `json:"dev,omitempty"`
}

// RevokeRequest names what to revoke: exactly one member.
type RevokeRequest struct {
	TokenID      string     `json:"token_id,omitempty"`
	UserID       string     `json:"user_id,omitempty"`
	Room         string     `json:"room,omitempty"`
	IssuedBefore *time.Time `json:"issued_before,omitempty"`
}

// RoomRequest is the body of CreateRoom.
type RoomRequest struct {
	Name string `json:"name"`
	// Type is livestream, private, conference or custom; empty means the
	// creator's role's type.
	Type string `json:"type,omitempty"`
	// MaxProducers and MaxParticipants cap the room; 0 means the default
	// of the creator's role or of the type, and no cap for participants.
	MaxProducers    int             `json:"max_producers,omitempty"`
	MaxParticipants int             `json:"max_participants,omitempty"`
	Metadata        json.RawMessage `json:"metadata,omitempty"`
}

// Room is a room as the API shows it.
type Room struct {
	Name            string          `json:"name"`
	Type            string          `json:"type"`
	MaxProducers    int             `json:"max_producers"`
	MaxParticipants int             `json:"max_participants"`
	Metadata        json.RawMessage `json:"metadata,omitempty"`
	CreatedBy       string          `json:"created_by"`
	CreatedAt       time.Time       `json:"created_at"`
	EndedAt         *time.Time      `json:"ended_at,omitempty"`
}

// RoomView is a room with who is in it, who waits and who produces.
type RoomView struct {
	Room
	Participants []Session  `json:"participants"`
	Waiting      []Session  `json:"waiting"`
	Producers    []Producer `json:"producers"`
}

// Producer is a session holding a producer slot.
type Producer struct {
	SessionID   string   `json:"session_id"`
	Participant string   `json:"participant"`
	Sources     []string `json:"sources"`
}

// The states of a session.
const (
	StateWaiting = "waiting"
	StateJoined  = "joined"
	StateEnded   = "ended"
)

// Session is one participant's presence in a room.
type Session struct {
	SessionID   string   `json:"session_id"`
	Room        string   `json:"room"`
	Participant string   `json:"participant"`
	UserID      string   `json:"user_id"`
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
	// State is StateWaiting, StateJoined or StateEnded.
	State   string   `json:"state"`
	Sources []string `json:"sources"`
	// LeaseUntil is when the session ends unless a heartbeat renews it.
	LeaseUntil time.Time `json:"lease_until"`
	// TokenExpiresAt is set under the continuous session policy: the
	// session ends then unless its token is replaced.
	TokenExpiresAt *time.Time `json:"token_expires_at,omitempty"`
	// EndReason says why an ended session ended (left, kicked, rejected,
	// duplicate_identity, lease_expired, expired, revoked, room_ended).
	EndReason string    `json:"end_reason,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// SessionChange is a moderator's change to a session: sources to mute, a
// new role, or a new permission list.
type SessionChange struct {
	Mute        []string `json:"mute,omitempty"`
	Role        string   `json:"role,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
}

// PermissionRequest is a raised hand: a session asking for a permission.
type PermissionRequest struct {
	ID         string `json:"id"`
	SessionID  string `json:"session_id"`
	Permission string `json:"permission"`
	// State is pending, granted or denied.
	State string `json:"state"`
}

// ResolvedRequest is a granted or denied request and its session after.
type ResolvedRequest struct {
	Request PermissionRequest `json:"request"`
	Session Session           `json:"session"`
}
