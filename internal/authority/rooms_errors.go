package authority

import (
	"fmt"

	"github.com/stagedoor/stagedoor/access"
)

// Reasons a participant is refused in a room, beyond access's.
const (
	// ReasonBlocked: a moderator barred the participant from the room.
	ReasonBlocked access.Reason = "blocked"
	// ReasonNotAdmitted: the participant waits to be admitted, or is not in
	// the room at all.
	ReasonNotAdmitted access.Reason = "not_admitted"
)

// Codes of the conflicts rooms report (ConflictError.Code).
const (
	CodeRoomFull        = "room_full"
	CodeRoomEnded       = "room_ended"
	CodeRoomExists      = "room_exists"
	CodeSessionEnded    = "session_ended"
	CodeNotWaiting      = "not_waiting"
	CodeAlreadyHeld     = "already_held"
	CodeRequestResolved = "request_resolved"
)

func notAdmitted(detail string) error {
	return &access.ForbiddenError{Reason: ReasonNotAdmitted, Detail: detail}
}

func blocked(participant, room string) error {
	return &access.ForbiddenError{Reason: ReasonBlocked, Detail: fmt.Sprintf("participant %q is blocked from room %q", participant, room)}
}

func roomMismatch(room string) error {
	return &access.ForbiddenError{Reason: access.ReasonRoomMismatch, Detail: fmt.Sprintf("token is not valid in room %q", room)}
}

func participantMismatch(participant string) error {
	return &access.ForbiddenError{Reason: access.ReasonParticipantMismatch,
		Detail: fmt.Sprintf("only participant %q, a moderator or an API key may do this", participant)}
}

func missingPermission(p access.Permission) error {
	return &access.ForbiddenError{Reason: access.ReasonMissingPermission, Missing: p, Detail: fmt.Sprintf("missing permission %s", p)}
}

func roomEnded(room string) error {
	return &ConflictError{Code: CodeRoomEnded, Detail: fmt.Sprintf("room %q has ended", room)}
}

func roomFull(room, what string) error {
	return &ConflictError{Code: CodeRoomFull, Detail: fmt.Sprintf("room %q has no free %s slot", room, what)}
}

func sessionEnded(id string) error {
	return &ConflictError{Code: CodeSessionEnded, Detail: fmt.Sprintf("session %q has ended", id)}
}
