package storage

import "errors"

// ErrNotFound reports that a record, or a record it refers to, does not exist.
var ErrNotFound = errors.New("storage: not found")

// ErrAlreadyExists reports that a record with the same identity, or the same
// unique name, is already stored.
var ErrAlreadyExists = errors.New("storage: already exists")

// ErrConflict reports that the stored state is no longer the one the caller
// expected, for example because another node rotated the signing keys first
// or the API key was already revoked.
var ErrConflict = errors.New("storage: conflict")

// ErrReused reports that a refresh token was presented after it had already
// been used. The caller should revoke the token's whole family.
var ErrReused = errors.New("storage: refresh token reused")

// ErrExpired reports that a refresh token was presented after it expired.
var ErrExpired = errors.New("storage: expired")

// ErrInvalid reports that a record given to the store is malformed, such as an
// empty identifier or an unknown kind.
var ErrInvalid = errors.New("storage: invalid record")

// ErrSchemaTooNew reports that the database schema was migrated by a newer
// version of stagedoor than the one opening it.
var ErrSchemaTooNew = errors.New("storage: database schema is newer than this version supports")

// ErrRoomFull reports that a room's producer or participant cap is reached.
var ErrRoomFull = errors.New("storage: room is full")

// ErrBlocked reports that a participant is barred from a room.
var ErrBlocked = errors.New("storage: participant is blocked from the room")

// ErrUnavailable reports that the database cannot be reached right now: it
// is down, restarting, refusing connections or locked beyond the wait
// allowed. Nothing was written; the caller may try again later.
var ErrUnavailable = errors.New("storage: unavailable")
