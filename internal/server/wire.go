package server

import (
	"encoding/json"
	"time"

	"github.com/stagedoor/stagedoor/internal/authority"
)

// The request bodies of the API. Their json tags are the member names the
// API documents and decodeJSON matches byte for byte; each converts to the
// authority's own request type.

// tokenRequest is the body of POST /v1/tokens.
type tokenRequest struct {
	UserID        string          `json:"user_id"`
	Role          string          `json:"role"`
	Rooms         []string        `json:"rooms,omitempty"`
	ParticipantID string          `json:"participant_id,omitempty"`
	Name          string          `json:"name,omitempty"`
	Image         string          `json:"image,omitempty"`
	Metadata      json.RawMessage `json:"metadata,omitempty"`
	UserType      string          `json:"user_type,omitempty"`
	Permissions   []string        `json:"permissions,omitempty"`
	TTLSeconds    int64           `json:"ttl_seconds,omitempty"`
	Audience      string          `json:"audience,omitempty"`
	Refresh       bool            `json:"refresh,omitempty"`
	Format        string          `json:"format,omitempty"`
}

func (b tokenRequest) request() authority.IssueRequest {
	return authority.IssueRequest{
		UserID: b.UserID, Role: b.Role, Rooms: b.Rooms, ParticipantID: b.ParticipantID, Name: b.Name, Image: b.Image,
		Metadata: b.Metadata, UserType: b.UserType, Permissions: b.Permissions, TTLSeconds: b.TTLSeconds,
		Audience: b.Audience, Refresh: b.Refresh,
	}
}

// formatBody is the body of the session token endpoint.
type formatBody struct {
	Format string `json:"format,omitempty"`
}

// guestRequest is the body of POST /v1/guests.
type guestRequest struct {
	Name        string          `json:"name"`
	Image       string          `json:"image,omitempty"`
	Role        string          `json:"role,omitempty"`
	Rooms       []string        `json:"rooms,omitempty"`
	Metadata    json.RawMessage `json:"metadata,omitempty"`
	Permissions []string        `json:"permissions,omitempty"`
	TTLSeconds  int64           `json:"ttl_seconds,omitempty"`
}

func (b guestRequest) guest() authority.Guest {
	return authority.Guest{Name: b.Name, Image: b.Image, Role: b.Role, Rooms: b.Rooms, Metadata: b.Metadata,
		Permissions: b.Permissions, TTLSeconds: b.TTLSeconds}
}

// revocationRequest is the body of POST /v1/revocations.
type revocationRequest struct {
	TokenID      string     `json:"token_id,omitempty"`
	UserID       string     `json:"user_id,omitempty"`
	Room         string     `json:"room,omitempty"`
	IssuedBefore *time.Time `json:"issued_before,omitempty"`
}

func (b revocationRequest) request() authority.RevokeRequest {
	return authority.RevokeRequest{TokenID: b.TokenID, UserID: b.UserID, Room: b.Room, IssuedBefore: b.IssuedBefore}
}

// roomRequest is the body of POST /v1/rooms.
type roomRequest struct {
	Name            string          `json:"name"`
	Type            string          `json:"type,omitempty"`
	MaxProducers    int             `json:"max_producers,omitempty"`
	MaxParticipants int             `json:"max_participants,omitempty"`
	Metadata        json.RawMessage `json:"metadata,omitempty"`
}

func (b roomRequest) request() authority.RoomRequest {
	return authority.RoomRequest{Name: b.Name, Type: b.Type, MaxProducers: b.MaxProducers,
		MaxParticipants: b.MaxParticipants, Metadata: b.Metadata}
}

// sessionChangeRequest is the body of PATCH /v1/rooms/{room}/sessions/{session}.
type sessionChangeRequest struct {
	Mute        []string `json:"mute,omitempty"`
	Role        string   `json:"role,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
}

func (b sessionChangeRequest) change() authority.SessionChange {
	return authority.SessionChange{Mute: b.Mute, Role: b.Role, Permissions: b.Permissions}
}
