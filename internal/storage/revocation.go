package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/revocation"
)

// RevocationKind says which tokens a revocation matches: the kinds of the
// revocation package, whose Set matches them.
type RevocationKind = revocation.Kind

// The kinds of revocation. Value holds the token ID, user ID, room name, API
// key ID or refresh family ID; RevocationIssuedBefore matches the app's tokens
// issued before IssuedBefore.
const (
	RevocationTokenID       = revocation.TokenID
	RevocationUserID        = revocation.UserID
	RevocationRoom          = revocation.Room
	RevocationIssuedBefore  = revocation.IssuedBefore
	RevocationAPIKey        = revocation.APIKey
	RevocationRefreshFamily = revocation.RefreshFamily
)

// Revocation makes matching tokens of an app invalid before they expire.
type Revocation struct {
	// Seq is assigned by the store, strictly increasing in commit order.
	Seq int64
	// AppID is the app whose tokens are revoked; the app must exist.
	AppID string
	// Kind says what Value matches.
	Kind RevocationKind
	// Value is what the revoked tokens carry, per Kind.
	Value string
	// IssuedBefore limits the revocation to tokens issued before it; it is
	// required for RevocationIssuedBefore and optional otherwise.
	IssuedBefore time.Time
	// CreatedAt is when the revocation was made.
	CreatedAt time.Time
	// ExpiresAt is when no matching token can still be alive, after which the
	// revocation may be pruned.
	ExpiresAt time.Time
}

// Validate reports ErrInvalid if the revocation is of a kind no verifier
// knows, or breaks the rule every entry of the feed follows
// (revocation.Revocation.Check): stored, it would reach every verifier,
// which would refuse the feed from there on.
func (r Revocation) Validate() error {
	if !r.Kind.Known() {
		return fmt.Errorf("revocation kind %q: %w", r.Kind, ErrInvalid)
	}
	if err := r.Feed().Check(); err != nil {
		return fmt.Errorf("revocation: %v: %w", err, ErrInvalid)
	}
	return nil
}

// Feed is r as the revocation feed and verifiers see it.
func (r Revocation) Feed() revocation.Revocation {
	return revocation.Revocation{Seq: r.Seq, App: r.AppID, Kind: r.Kind, Value: r.Value,
		IssuedBefore: r.IssuedBefore, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
}

// IssuedUpTo is when the credentials a revocation of a user or a room
// matches were issued at the latest: at or before IssuedBefore if it is
// set, else at or before CreatedAt. (A token's iat has whole seconds, so
// verifiers also match the rest of that second.)
func (r Revocation) IssuedUpTo() time.Time {
	if r.IssuedBefore.IsZero() {
		return r.CreatedAt
	}
	return r.IssuedBefore
}

// RevocationQuery selects revocations to list.
type RevocationQuery struct {
	// AfterSeq keeps only revocations with a greater Seq.
	AfterSeq int64
	// AppID keeps only one app's revocations; empty keeps every app's.
	AppID string
	// Limit caps how many are returned; zero or less means no cap.
	Limit int
}

// Revocations stores revocations.
type Revocations interface {
	// AddRevocation stores r, ignoring its Seq, and returns it as stored. It
	// returns ErrNotFound if the app does not exist.
	//
	// In the same transaction it deletes the app's refresh tokens that r
	// matches, so that none of them mints a token again: of
	// RevocationUserID, those of the user (Subject); of RevocationRoom, those
	// bound to the room; of both, only those created at or before
	// r.IssuedUpTo(). Of RevocationIssuedBefore, those created before
	// IssuedBefore; of RevocationAPIKey, those of the key; of
	// RevocationRefreshFamily, those of the family. A RevocationTokenID
	// matches no refresh token.
	AddRevocation(ctx context.Context, r Revocation, audit *AuditEntry) (Revocation, error)
	// ListRevocations returns the revocations q selects, ordered by Seq.
	ListRevocations(ctx context.Context, q RevocationQuery) ([]Revocation, error)
	// PruneRevocations deletes the revocations whose ExpiresAt is not after
	// now and returns how many it deleted. Sequence numbers are never reused.
	PruneRevocations(ctx context.Context, now time.Time) (int, error)
}
