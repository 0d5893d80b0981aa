package storage

import (
	"context"
	"fmt"
	"time"
)

// RefreshToken is a single-use refresh token. Using one yields a new one in
// the same family; presenting a used one again is a sign of theft, and the
// caller then revokes the family.
type RefreshToken struct {
	// IDHash is the stored form of the opaque token; the raw token is never
	// stored.
	IDHash []byte
	// FamilyID groups the tokens that descend from one grant.
	FamilyID string
	// AppID is the app the token was issued for; it must exist.
	AppID string
	// APIKeyID is the API key the grant was made with; it must exist.
	APIKeyID string
	// Subject is the user the token stands for.
	Subject string
	// Rooms are the rooms the token's grants are bound to; none means any
	// room. They are kept as a set and returned sorted.
	Rooms []string
	// Grants is the caller's serialised grants, opaque to the store.
	Grants []byte
	// CreatedAt is when the token was issued.
	CreatedAt time.Time
	// ExpiresAt is when the token stops being usable.
	ExpiresAt time.Time
	// UsedAt is when the token was used; zero before.
	UsedAt time.Time
}

// Validate reports ErrInvalid if the token lacks its hash, family, app, API
// key or expiry.
func (t RefreshToken) Validate() error {
	if len(t.IDHash) == 0 || t.FamilyID == "" || t.AppID == "" || t.APIKeyID == "" || t.ExpiresAt.IsZero() {
		return fmt.Errorf("refresh token needs a hash, family, app, api key and expiry: %w", ErrInvalid)
	}
	return nil
}

// Successor returns the token that replaces t when t is rotated: unused,
// with next's hash and times and t's family, app, API key, subject, grants
// and rooms.
func (t RefreshToken) Successor(next RefreshToken) RefreshToken {
	return RefreshToken{
		IDHash: next.IDHash, FamilyID: t.FamilyID, AppID: t.AppID, APIKeyID: t.APIKeyID, Subject: t.Subject,
		Grants: t.Grants, Rooms: t.Rooms, CreatedAt: next.CreatedAt, ExpiresAt: next.ExpiresAt,
	}
}

// RefreshTokens stores refresh tokens.
//
// A refresh token ends with the revocations that match it: AddRevocation,
// RevokeAPIKey and RevokeRefreshFamily delete the tokens they match in the
// transaction that stores the revocation (see AddRevocation). Token
// operations and revocations of an app are serialised, so a token created
// or rotated concurrently with a revocation that matches it is either
// deleted by it or never stored.
type RefreshTokens interface {
	// CreateRefreshToken stores a new token. It returns ErrNotFound if its app
	// or API key does not exist or the key is revoked, and ErrAlreadyExists
	// if the hash is taken.
	CreateRefreshToken(ctx context.Context, tok RefreshToken) error
	// GetRefreshToken returns the token, or ErrNotFound if it is unknown or
	// was ended.
	GetRefreshToken(ctx context.Context, idHash []byte) (RefreshToken, error)
	// RotateRefreshToken marks the token idHash used at now and stores next
	// as its successor, in one transaction, and returns the used token.
	// Only next's IDHash, CreatedAt and ExpiresAt are its own; its family,
	// app, API key, subject, grants and rooms are the used token's. If the
	// token is unknown or was ended (its family, user, rooms or key
	// revoked) it returns ErrNotFound; if it was already used, the token
	// and ErrReused; if it expired, the token and ErrExpired; if next's hash
	// is taken, ErrAlreadyExists. On any error nothing changes. Of
	// concurrent rotations of one token exactly one succeeds. The audit
	// entry, if any, is written in the same transaction, and only by a
	// rotation that succeeds: a token is never used up by a rotation
	// whose record could not be written.
	RotateRefreshToken(ctx context.Context, idHash []byte, next RefreshToken, now time.Time, audit *AuditEntry) (RefreshToken, error)
	// RevokeRefreshFamily deletes every token of the family and, in the same
	// transaction, records a Revocation of kind RevocationRefreshFamily for
	// the tokens minted from it, kept until tokensExpireBy. It returns
	// ErrNotFound if the family has no token left.
	RevokeRefreshFamily(ctx context.Context, familyID string, now, tokensExpireBy time.Time, audit *AuditEntry) (Revocation, error)
	// PruneRefreshTokens deletes the tokens whose ExpiresAt is not after now
	// and returns how many it deleted.
	PruneRefreshTokens(ctx context.Context, now time.Time) (int, error)
}
