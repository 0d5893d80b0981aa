package sqldata

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// storedEvent is how room_events.data keeps a storage.RoomEventData. The
// names are the store's own and stay as they are, so that events stored by
// an earlier version read the same; the session's app and room, and the
// request's session, are the event row's.
type storedEvent struct {
	Session *storedSession `json:"session,omitempty"`
	Room    *storedRoom    `json:"room,omitempty"`
	Reason  string         `json:"reason,omitempty"`
	Source  string         `json:"source,omitempty"`
	Request *storedRequest `json:"request,omitempty"`
}

type storedSession struct {
	ID             string     `json:"id"`
	Participant    string     `json:"participant"`
	Subject        string     `json:"subject"`
	Role           string     `json:"role"`
	Permissions    []string   `json:"permissions"`
	State          string     `json:"state"`
	Sources        []string   `json:"sources"`
	EndReason      string     `json:"end_reason,omitempty"`
	LeaseUntil     *time.Time `json:"lease_until,omitempty"`
	TokenExpiresAt *time.Time `json:"token_expires_at,omitempty"`
	CreatedAt      *time.Time `json:"created_at,omitempty"`
}

type storedRoom struct {
	Name            string          `json:"name"`
	Type            string          `json:"type"`
	MaxProducers    int             `json:"max_producers"`
	MaxParticipants int             `json:"max_participants"`
	Metadata        json.RawMessage `json:"metadata,omitempty"`
	CreatedBy       string          `json:"created_by"`
	CreatedAt       time.Time       `json:"created_at"`
	EndedAt         *time.Time      `json:"ended_at,omitempty"`
}

type storedRequest struct {
	ID         string `json:"id"`
	Permission string `json:"permission"`
	State      string `json:"state"`
}

// EncodeEventData returns d as room_events.data keeps it.
func EncodeEventData(d storage.RoomEventData) []byte {
	v := storedEvent{Reason: d.Reason, Source: d.Source}
	if s := d.Session; s != nil {
		v.Session = &storedSession{
			ID: s.ID, Participant: s.Participant, Subject: s.Subject, Role: s.Role,
			Permissions: s.Permissions, State: string(s.State), Sources: s.Sources, EndReason: s.EndReason,
			LeaseUntil: timeOrNil(s.LeaseUntil), TokenExpiresAt: timeOrNil(s.TokenExpiresAt), CreatedAt: timeOrNil(s.CreatedAt),
		}
	}
	if r := d.Room; r != nil {
		v.Room = &storedRoom{
			Name: r.Name, Type: r.Type, MaxProducers: r.MaxProducers, MaxParticipants: r.MaxParticipants,
			CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), EndedAt: timeOrNil(r.EndedAt),
		}
		if json.Valid(r.Metadata) {
			v.Room.Metadata = r.Metadata
		}
	}
	if r := d.Request; r != nil {
		v.Request = &storedRequest{ID: r.ID, Permission: r.Permission, State: r.State}
	}
	b, err := json.Marshal(v)
	if err != nil {
		// Only strings, numbers, times and valid JSON: cannot fail.
		panic("sqldata: " + err.Error())
	}
	return b
}

// decodeEventData reads the data of e as room_events.data keeps it.
func decodeEventData(e *storage.RoomEvent, data []byte) error {
	var v storedEvent
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("room event %d data: %w", e.Seq, err)
	}
	e.Data = storage.RoomEventData{Reason: v.Reason, Source: v.Source}
	if s := v.Session; s != nil {
		e.Data.Session = &storage.Session{
			ID: s.ID, AppID: e.AppID, Room: e.Room, Participant: s.Participant, Subject: s.Subject, Role: s.Role,
			Permissions: nonNil(s.Permissions), State: storage.SessionState(s.State), Sources: nonNil(s.Sources), EndReason: s.EndReason,
			LeaseUntil: timeOf(s.LeaseUntil), TokenExpiresAt: timeOf(s.TokenExpiresAt), CreatedAt: timeOf(s.CreatedAt),
		}
	}
	if r := v.Room; r != nil {
		e.Data.Room = &storage.Room{
			AppID: e.AppID, Name: r.Name, Type: r.Type, MaxProducers: r.MaxProducers, MaxParticipants: r.MaxParticipants,
			Metadata: r.Metadata, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, EndedAt: timeOf(r.EndedAt),
		}
	}
	if r := v.Request; r != nil {
		e.Data.Request = &storage.PermissionRequest{
			ID: r.ID, AppID: e.AppID, Room: e.Room, SessionID: e.SessionID, Permission: r.Permission, State: r.State,
		}
	}
	return nil
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
