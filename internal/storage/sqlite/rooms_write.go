package sqlite

import (
	"context"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// The operations of storage.Rooms that write are roomdata's, the same on
// every backend; these methods run them in this store's transactions.

// CreateRoom implements storage.Rooms.
func (s *Store) CreateRoom(ctx context.Context, r storage.Room, audit *storage.AuditEntry) error {
	return s.rooms().CreateRoom(ctx, r, audit)
}

// EndRoom implements storage.Rooms.
func (s *Store) EndRoom(ctx context.Context, appID, name string, now time.Time, audit *storage.AuditEntry) ([]storage.Session, error) {
	return s.rooms().EndRoom(ctx, appID, name, now, audit)
}

// BlockParticipant implements storage.Rooms.
func (s *Store) BlockParticipant(ctx context.Context, appID, room, participant string, now time.Time, audit *storage.AuditEntry) (storage.Session, error) {
	return s.rooms().BlockParticipant(ctx, appID, room, participant, now, audit)
}

// JoinRoom implements storage.Rooms.
func (s *Store) JoinRoom(ctx context.Context, ses storage.Session, now time.Time) (storage.Session, []storage.Session, error) {
	return s.rooms().JoinRoom(ctx, ses, now)
}

// AdmitSession implements storage.Rooms.
func (s *Store) AdmitSession(ctx context.Context, appID, room, id string, now time.Time) (storage.Session, error) {
	return s.rooms().AdmitSession(ctx, appID, room, id, now)
}

// EndSession implements storage.Rooms.
func (s *Store) EndSession(ctx context.Context, appID, room, id, reason string, now time.Time) (storage.Session, error) {
	return s.rooms().EndSession(ctx, appID, room, id, reason, now)
}

// EndExpiredSessions implements storage.Rooms.
func (s *Store) EndExpiredSessions(ctx context.Context, now time.Time) ([]storage.Session, error) {
	return s.rooms().EndExpiredSessions(ctx, now)
}

// RenewSession implements storage.Rooms.
func (s *Store) RenewSession(ctx context.Context, appID, room, id string, leaseUntil time.Time, tokenID, tokenIssuer string, tokenIssuedAt, tokenExpiresAt time.Time, now time.Time) (storage.Session, error) {
	return s.rooms().RenewSession(ctx, appID, room, id, leaseUntil, tokenID, tokenIssuer, tokenIssuedAt, tokenExpiresAt, now)
}

// ClaimProducer implements storage.Rooms.
func (s *Store) ClaimProducer(ctx context.Context, appID, room, id, source string, now time.Time) (storage.Session, error) {
	return s.rooms().ClaimProducer(ctx, appID, room, id, source, now)
}

// ReleaseProducer implements storage.Rooms.
func (s *Store) ReleaseProducer(ctx context.Context, appID, room, id, source string, now time.Time) (storage.Session, error) {
	return s.rooms().ReleaseProducer(ctx, appID, room, id, source, now)
}

// UpdateSession implements storage.Rooms.
func (s *Store) UpdateSession(ctx context.Context, appID, room, id string, u storage.SessionUpdate, now time.Time) (storage.Session, error) {
	return s.rooms().UpdateSession(ctx, appID, room, id, u, now)
}

// CreatePermissionRequest implements storage.Rooms.
func (s *Store) CreatePermissionRequest(ctx context.Context, r storage.PermissionRequest, now time.Time) (storage.PermissionRequest, error) {
	return s.rooms().CreatePermissionRequest(ctx, r, now)
}

// ResolvePermissionRequest implements storage.Rooms.
func (s *Store) ResolvePermissionRequest(ctx context.Context, appID, room, id string, grant bool, now time.Time) (storage.PermissionRequest, storage.Session, error) {
	return s.rooms().ResolvePermissionRequest(ctx, appID, room, id, grant, now)
}
