package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/access"
)

// APIKey is a partner backend's credential: the public key string and its
// secret, encrypted before it reaches the store.
type APIKey struct {
	// ID is the public API key string.
	ID string
	// AppID is the app the key belongs to; the app must exist.
	AppID string
	// Kind is access.Production or access.Development.
	Kind access.KeyKind
	// SecretCiphertext is the encrypted secret, opaque to the store.
	SecretCiphertext []byte
	// CreatedAt is when the key was created.
	CreatedAt time.Time
	// RevokedAt is when the key was revoked; zero while it is active.
	RevokedAt time.Time
}

// Revoked reports whether the key has been revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// Validate reports ErrInvalid if the key lacks an ID, an app, a secret or a
// known kind.
func (k APIKey) Validate() error {
	if k.ID == "" || k.AppID == "" || len(k.SecretCiphertext) == 0 {
		return fmt.Errorf("api key needs an id, an app and a secret: %w", ErrInvalid)
	}
	if _, err := access.ParseKeyKind(string(k.Kind)); err != nil {
		return fmt.Errorf("api key kind %q: %w", k.Kind, ErrInvalid)
	}
	return nil
}

// APIKeys stores API keys.
type APIKeys interface {
	// CreateAPIKey stores a new key. It returns ErrNotFound if the app does
	// not exist and ErrAlreadyExists if the key ID is taken.
	CreateAPIKey(ctx context.Context, key APIKey, audit *AuditEntry) error
	// GetAPIKey returns the key with the given ID, or ErrNotFound.
	GetAPIKey(ctx context.Context, id string) (APIKey, error)
	// ListAPIKeys returns the keys of one app, or of every app if appID is
	// empty, ordered by creation time.
	ListAPIKeys(ctx context.Context, appID string) ([]APIKey, error)
	// RevokeAPIKey marks the key revoked at now and, in the same transaction,
	// records a Revocation of kind RevocationAPIKey for the tokens it minted,
	// kept until tokensExpireBy. A key is revoked once: revoking it again
	// returns ErrConflict and changes nothing. An unknown key is ErrNotFound.
	RevokeAPIKey(ctx context.Context, id string, now, tokensExpireBy time.Time, audit *AuditEntry) (Revocation, error)
}
