package authority

import (
	"errors"
	"fmt"

	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/revocation"
)

// ErrUnauthenticated reports API key credentials that do not match an active
// key. It never says which part was wrong.
var ErrUnauthenticated = errors.New("invalid API key or secret")

// ErrRevoked reports a token that matches a revocation. It is
// revocation.ErrRevoked, which the verifier package returns too, so that
// the service and media servers refuse a revoked token alike.
var ErrRevoked = revocation.ErrRevoked

// ErrUnavailable reports that the store cannot be reached right now. It is
// storage.ErrUnavailable, which backends wrap in their errors, so every
// operation that needed the store reports it without translation.
var ErrUnavailable = storage.ErrUnavailable

// NotFoundError names what was not found.
type NotFoundError struct {
	What, Name string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %q not found", e.What, e.Name) }

// ConflictError says the request clashes with what is stored. Code, when
// set, names the clash (a room full, a session ended); empty means a plain
// conflict.
type ConflictError struct {
	Code   string
	Detail string
}

func (e *ConflictError) Error() string { return e.Detail }
