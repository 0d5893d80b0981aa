// Package storage defines what stagedoor keeps: apps, API keys, custom roles,
// service signing keys, revocations, refresh tokens, rooms and their
// sessions, and the audit log, behind the Storage interface that every
// backend implements.
//
// # Operations
//
// Every operation is atomic and named after what it does (RevokeAPIKey,
// RotateSigningKeys, RotateRefreshToken) rather than offering Get+Update pairs, so
// that races between nodes are settled by the backend: of many concurrent
// callers exactly one wins, and the others get ErrConflict, ErrAlreadyExists or
// ErrReused. Each operation takes a context.Context first.
//
// # Audit
//
// Mutations that an administrator audits take an audit *AuditEntry argument
// (nil for none). The backend writes the entry in the same transaction as the
// mutation: either both are stored or neither is. Standalone events, such as a
// token being minted, are appended with AppendAudit. Audit details never carry
// secrets.
//
// # Revocations as a feed
//
// Revocations carry a sequence number assigned by the backend. Sequence numbers
// are strictly increasing in commit order, so a reader that remembers the last
// one it saw and asks for those after it (ListRevocations) never misses one.
// Revoking an API key or a refresh family records the matching Revocation in
// the same transaction, and every revocation deletes the refresh tokens it
// matches in the transaction that stores it.
//
// # Rooms
//
// Rooms holds rooms, the sessions of participants in them, blocked
// participants, permission requests and room events. Room limits are
// enforced inside the transaction that takes a slot: of callers racing for
// a room's producer slots (ClaimProducer) or participant places (JoinRoom),
// on one node or several, exactly as many win as the cap allows and the
// others get ErrRoomFull. A session producing any source holds one producer
// slot; ending it, or dropping its last source, frees the slot. Every room
// operation appends its RoomEvents, with the session or room they concern, in
// the same transaction; their Seq is strictly increasing in commit order,
// like revocations, so an event stream resumes from the last Seq it showed.
// A ChangeRoom on the feed tells that a room has new events (or new blocked
// participants). SessionPolicies sets how an app's sessions treat token
// expiry.
//
// # Change feed
//
// Changes reports committed changes to apps, API keys, roles, signing keys,
// revocations and rooms, so that nodes can reload what they cache. A Change
// is a hint, not the data: consumers reload from the store. A ChangeResync
// tells a consumer that changes may have been missed and that it must reload
// everything it caches from its last cursor.
//
// Changes to apps, API keys, roles and signing keys are also numbered in
// the store (CatalogChanges), in the transaction that makes them, like
// revocations: a node that holds the catalog in memory reads, on a hint
// or when it polls for other processes' changes, only the entries changed
// since the number it last read.
//
// # Times
//
// Times are stored in UTC with at least millisecond precision; stored times
// are returned in UTC. A zero time.Time means "not set" for optional times
// (RevokedAt, UsedAt, ActivatedAt, RetiredAt, PublishUntil, IssuedBefore,
// EndedAt, ResolvedAt, TokenIssuedAt, TokenExpiresAt); a zero CreatedAt, or
// a zero audit Time, is replaced by the current time. Room operations take
// now, the time they record; a zero now means the current time.
//
// # Errors
//
// Backends return the sentinel errors of this package, possibly wrapped with
// context; callers test them with errors.Is. They are mapped to protocol
// status codes elsewhere.
package storage
