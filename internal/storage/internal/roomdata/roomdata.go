// Package roomdata is the part of storage.Rooms above SQL: every operation
// that writes rooms, sessions, blocks and permission requests decides here
// (is the room live, is the participant blocked, is the identity already
// in, are the caps reached) and what its room events carry, over
// the few reads and writes of rows that a backend provides as a Writer
// (sqldata.RoomTx, plus its own way of numbering room events). Both
// backends thus apply the same rules and differ only in transactions,
// locking and notifications.
package roomdata

import (
	"fmt"
	"slices"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// sessionData returns the data of an event about s, with x's reason,
// source or request.
func sessionData(s storage.Session, x storage.RoomEventData) storage.RoomEventData {
	s.Permissions, s.Sources = nonNil(s.Permissions), nonNil(s.Sources)
	x.Session = &s
	return x
}

// roomData returns the data of room.created and room.ended.
func roomData(r storage.Room) storage.RoomEventData {
	return storage.RoomEventData{Room: &r}
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
