// Package roomdata is the part of storage.Rooms above SQL: every operation
// that writes rooms, sessions, blocks and permission requests decides here
// (is the room live, is the participant blocked, is the identity already
// in, are the caps reached) and builds the JSON its room events carry, over
// the few reads and writes of rows that a backend provides as a Writer
// (sqldata.RoomTx, plus its own way of numbering room events). Both
// backends thus apply the same rules and differ only in transactions,
// locking and notifications.
package roomdata

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// sessionJSON is a session as room events show it.
type sessionJSON struct {
	ID          string   `json:"id"`
	Participant string   `json:"participant"`
	Subject     string   `json:"subject"`
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
	State       string   `json:"state"`
	Sources     []string `json:"sources"`
	EndReason   string   `json:"end_reason,omitempty"`
}

// requestJSON is a permission request as room events show it.
type requestJSON struct {
	ID         string `json:"id"`
	Permission string `json:"permission"`
	State      string `json:"state"`
}

// roomJSON is a room as room events show it.
type roomJSON struct {
	Name            string          `json:"name"`
	Type            string          `json:"type"`
	MaxProducers    int             `json:"max_producers"`
	MaxParticipants int             `json:"max_participants"`
	Metadata        json.RawMessage `json:"metadata,omitempty"`
	CreatedBy       string          `json:"created_by"`
	CreatedAt       time.Time       `json:"created_at"`
	EndedAt         *time.Time      `json:"ended_at,omitempty"`
}

// extra is what an event carries beside its session.
type extra struct {
	// Reason is why the session ended, for session.ended.
	Reason string
	// Source is the source started or stopped, for produce.*.
	Source string
	// Request is the permission request, for request.*.
	Request *storage.PermissionRequest
}

// sessionData returns the data of an event about s: {"session": {...}} plus
// what x sets.
func sessionData(s storage.Session, x extra) []byte {
	v := struct {
		Session sessionJSON  `json:"session"`
		Reason  string       `json:"reason,omitempty"`
		Source  string       `json:"source,omitempty"`
		Request *requestJSON `json:"request,omitempty"`
	}{
		Session: sessionJSON{
			ID: s.ID, Participant: s.Participant, Subject: s.Subject, Role: s.Role,
			Permissions: nonNil(s.Permissions), State: string(s.State), Sources: nonNil(s.Sources), EndReason: s.EndReason,
		},
		Reason: x.Reason,
		Source: x.Source,
	}
	if r := x.Request; r != nil {
		v.Request = &requestJSON{ID: r.ID, Permission: r.Permission, State: r.State}
	}
	return marshal(v)
}

// roomData returns the data of room.created and room.ended: {"room": {...}}.
func roomData(r storage.Room) []byte {
	v := roomJSON{
		Name: r.Name, Type: r.Type, MaxProducers: r.MaxProducers, MaxParticipants: r.MaxParticipants,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(),
	}
	if json.Valid(r.Metadata) {
		v.Metadata = r.Metadata
	}
	if r.Ended() {
		t := r.EndedAt.UTC()
		v.EndedAt = &t
	}
	return marshal(struct {
		Room roomJSON `json:"room"`
	}{v})
}

// marshal encodes v, made only of strings, numbers, times and valid JSON,
// which cannot fail.
func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("roomdata: " + err.Error())
	}
	return b
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// sorted returns names sorted without duplicates, never nil.
func sorted(names []string) []string {
	out := slices.Clone(names)
	slices.Sort(out)
	return nonNil(slices.Compact(out))
}

// with returns sorted names with name added.
func with(names []string, name string) []string {
	return sorted(append(slices.Clone(names), name))
}

// without returns names without any of drop, and the ones it removed, in
// the order of names.
func without(names, drop []string) (kept, removed []string) {
	kept = []string{}
	for _, n := range names {
		if slices.Contains(drop, n) {
			removed = append(removed, n)
		} else {
			kept = append(kept, n)
		}
	}
	return kept, removed
}

// checkText reports ErrInvalid, naming what, if value is empty.
func checkText(what, value string) error {
	if value == "" {
		return fmt.Errorf("%s is required: %w", what, storage.ErrInvalid)
	}
	return nil
}

// checkRequest reports ErrInvalid if r lacks an id, a room, a session or
// a permission.
func checkRequest(r storage.PermissionRequest) error {
	if r.ID == "" || r.AppID == "" || r.Room == "" || r.SessionID == "" || r.Permission == "" {
		return fmt.Errorf("permission request needs an id, an app, a room, a session and a permission: %w", storage.ErrInvalid)
	}
	return nil
}

// CheckPolicy reports ErrInvalid for a session policy other than join or
// continuous.
func CheckPolicy(policy string) error {
	if policy != "join" && policy != "continuous" {
		return fmt.Errorf("session policy %q (want join or continuous): %w", policy, storage.ErrInvalid)
	}
	return nil
}
