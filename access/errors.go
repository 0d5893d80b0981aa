package access

import (
	"errors"
	"fmt"
)

// Reason is a stable, machine-readable code for why something was refused.
type Reason string

// The reasons a decision can be refused for.
const (
	ReasonMissingPermission   Reason = "missing_permission"
	ReasonRoomMismatch        Reason = "room_mismatch"
	ReasonParticipantMismatch Reason = "participant_mismatch"
	ReasonEscalation          Reason = "escalation"
	ReasonDevelopmentLimit    Reason = "development_limit"
	ReasonAnonymousLimit      Reason = "anonymous_limit"
	ReasonAudienceMismatch    Reason = "audience_mismatch"
)

// ForbiddenError says that a valid holder may not do something, and why. It
// is the 403 (insufficient_scope) of the HTTP API.
type ForbiddenError struct {
	Reason Reason
	// Missing is the permission that was lacking, when Reason is
	// ReasonMissingPermission or ReasonEscalation for a permission.
	Missing Permission
	// Detail is a human sentence.
	Detail string
}

func (e *ForbiddenError) Error() string { return e.Detail }

// ErrForbidden matches every *ForbiddenError with errors.Is.
var ErrForbidden = errors.New("forbidden")

// Is makes errors.Is(err, ErrForbidden) hold for every ForbiddenError.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }

func missing(p Permission) *ForbiddenError {
	return &ForbiddenError{Reason: ReasonMissingPermission, Missing: p,
		Detail: fmt.Sprintf("missing permission %s", p)}
}

// InvalidError says that a request was malformed: an unknown name, a bad
// value. It is the 400 of the HTTP API and names the field at fault.
type InvalidError struct {
	Field  string
	Detail string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Detail }

// ErrInvalid matches every *InvalidError, *UnknownRoleError and
// *UnknownPermissionError with errors.Is.
var ErrInvalid = errors.New("invalid")

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// UnknownPermissionError names a permission outside the vocabulary.
type UnknownPermissionError struct{ Name string }

func (e *UnknownPermissionError) Error() string {
	return fmt.Sprintf("unknown permission %q", e.Name)
}

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *UnknownPermissionError) Is(target error) bool { return target == ErrInvalid }

// UnknownRoleError names a role that is neither built in nor defined by the app.
type UnknownRoleError struct{ Name string }

func (e *UnknownRoleError) Error() string { return fmt.Sprintf("unknown role %q", e.Name) }

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *UnknownRoleError) Is(target error) bool { return target == ErrInvalid }
