package storage

import (
	"context"
	"fmt"
	"time"
)

// SigningKeyState is where a signing key is in its life.
type SigningKeyState string

// The states of a signing key: it is published as next before it signs, signs
// while current, and stays published while retired until every token it
// signed has expired.
const (
	SigningKeyNext    SigningKeyState = "next"
	SigningKeyCurrent SigningKeyState = "current"
	SigningKeyRetired SigningKeyState = "retired"
)

// SigningKey is an Ed25519 key the service signs tokens with.
type SigningKey struct {
	// ID is the key ID published in the JWKS.
	ID string
	// State is set by the store: callers' values are ignored.
	State SigningKeyState
	// PublicKey is the raw public key.
	PublicKey []byte
	// PrivateKeyCiphertext is the encrypted private key, opaque to the store.
	PrivateKeyCiphertext []byte
	// CreatedAt is when the key was generated.
	CreatedAt time.Time
	// ActivatedAt is when the key became current; zero before.
	ActivatedAt time.Time
	// RetiredAt is when the key stopped being current; zero before.
	RetiredAt time.Time
	// PublishUntil is when a retired key may leave the JWKS; zero before it
	// is retired.
	PublishUntil time.Time
}

// Validate reports ErrInvalid if the key lacks an ID or key material.
func (k SigningKey) Validate() error {
	if k.ID == "" || len(k.PublicKey) == 0 || len(k.PrivateKeyCiphertext) == 0 {
		return fmt.Errorf("signing key needs an id and key material: %w", ErrInvalid)
	}
	return nil
}

// SigningKeys stores the service's signing keys. Once initialised there is
// always exactly one current key and one next key.
type SigningKeys interface {
	// ListSigningKeys returns every key not yet pruned, ordered by creation
	// time.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// InitSigningKeys stores the first current and next keys if no signing
	// key exists, else returns ErrAlreadyExists: of nodes starting at once,
	// one creates the keys and the others load them.
	InitSigningKeys(ctx context.Context, current, next SigningKey, audit *AuditEntry) error
	// RotateSigningKeys retires the current key (publishing it until
	// publishUntil), makes the next key current as of now, and stores newNext
	// as the next key, all at once. It returns ErrConflict if the current key
	// is not expectedCurrentID, because another node rotated first.
	RotateSigningKeys(ctx context.Context, expectedCurrentID string, newNext SigningKey, now, publishUntil time.Time, audit *AuditEntry) error
	// PruneSigningKeys deletes the retired keys whose PublishUntil is not
	// after now and returns how many it deleted.
	PruneSigningKeys(ctx context.Context, now time.Time) (int, error)
}
