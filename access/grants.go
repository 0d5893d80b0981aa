package access

import (
	"fmt"
	"slices"
)

// UserType says who holds a token.
type UserType string

// The user types of the seeds (Stream's authenticated, guest and anonymous).
const (
	Authenticated UserType = "authenticated"
	GuestUser     UserType = "guest"
	Anonymous     UserType = "anonymous"
)

// AnonymousSubject is the subject of every anonymous token (Stream's "!anon").
const AnonymousSubject = "!anon"

// ParseUserType returns the user type named s; empty means Authenticated.
func ParseUserType(s string) (UserType, error) {
	switch UserType(s) {
	case "", Authenticated:
		return Authenticated, nil
	case GuestUser, Anonymous:
		return UserType(s), nil
	}
	return "", &InvalidError{Field: "user_type", Detail: fmt.Sprintf("unknown user type %q (want authenticated, guest or anonymous)", s)}
}

// SubjectOf returns the subject of a token for a user of type t whose id
// is userID: AnonymousSubject for anonymous users, who have no id of their
// own (userID must be empty or AnonymousSubject); else userID, which is
// required and must follow the name rule. Errors are InvalidErrors naming
// the user_id field.
func SubjectOf(t UserType, userID string) (string, error) {
	if t == Anonymous {
		if userID != "" && userID != AnonymousSubject {
			return "", &InvalidError{Field: "user_id", Detail: fmt.Sprintf("anonymous users have no user id (omit it or use %q)", AnonymousSubject)}
		}
		return AnonymousSubject, nil
	}
	return userID, CheckName("user_id", userID)
}

// AnonymousAllowed is all an anonymous user may ever hold: join and watch.
var AnonymousAllowed = Of(RoomJoin, Consume)

// Grants is what a token allows: a role's resolved permissions, optionally
// bound to rooms and to one participant.
type Grants struct {
	Role        string
	Permissions Set
	// Rooms lists the rooms the token works in; nil means any room of the app.
	Rooms []string
	// Participant, when set, is the only participant identity the token acts as.
	Participant string
	User        UserType
}

// InRoom reports whether the grants work in room.
func (g Grants) InRoom(room string) bool {
	return g.Rooms == nil || slices.Contains(g.Rooms, room)
}

// Check decides whether the grants allow permission p in room, acting as
// participant (empty participant: no identity is claimed). It returns nil or
// a *ForbiddenError naming the reason.
func (g Grants) Check(room, participant string, p Permission) error {
	if room != "" && !g.InRoom(room) {
		return &ForbiddenError{Reason: ReasonRoomMismatch, Missing: p,
			Detail: fmt.Sprintf("token is not valid in room %q", room)}
	}
	if g.Participant != "" && participant != "" && participant != g.Participant {
		return &ForbiddenError{Reason: ReasonParticipantMismatch, Missing: p,
			Detail: fmt.Sprintf("token is bound to participant %q, not %q", g.Participant, participant)}
	}
	if !g.Permissions.Has(p) {
		return missing(p)
	}
	return nil
}

// Admission is how a holder enters a room.
type Admission int

// The ways into a room.
const (
	Denied Admission = iota
	Direct
	Wait
)

// String names the admission.
func (a Admission) String() string {
	switch a {
	case Direct:
		return "direct"
	case Wait:
		return "wait"
	}
	return "denied"
}

// AdmissionOf says how a holder of s enters a room: room.join enters
// directly (even alongside room.ask_join), room.ask_join waits for a
// moderator, anything else is denied.
func AdmissionOf(s Set) Admission {
	switch {
	case s.Has(RoomJoin):
		return Direct
	case s.Has(RoomAskJoin):
		return Wait
	}
	return Denied
}
