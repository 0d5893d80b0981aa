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

// RefreshTokens stores refresh tokens.
type RefreshTokens interface {
	// CreateRefreshToken stores a new token. It returns ErrNotFound if its app
	// or API key does not exist and ErrAlreadyExists if the hash is taken.
	CreateRefreshToken(ctx context.Context, tok RefreshToken) error
	// UseRefreshToken marks the token used at now and returns it. If it was
	// already used it returns the token and ErrReused; if it expired, the
	// token and ErrExpired; if it is unknown, ErrNotFound. Of concurrent uses
	// exactly one succeeds.
	UseRefreshToken(ctx context.Context, idHash []byte, now time.Time) (RefreshToken, error)
	// RevokeRefreshFamily deletes every token of the family and, in the same
	// transaction, records a Revocation of kind RevocationRefreshFamily for
	// the tokens minted from it, kept until tokensExpireBy. It returns
	// ErrNotFound if the family has no token left.
	RevokeRefreshFamily(ctx context.Context, familyID string, now, tokensExpireBy time.Time, audit *AuditEntry) (Revocation, error)
	// PruneRefreshTokens deletes the tokens whose ExpiresAt is not after now
	// and returns how many it deleted.
	PruneRefreshTokens(ctx context.Context, now time.Time) (int, error)
}
