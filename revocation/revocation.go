// Package revocation is how stagedoor tokens stop being valid before they
// expire, shared by the service and by the verifiers of media servers: the
// kinds of revocation and what each matches ([Set.Revoked]), the rule an
// entry must follow ([Revocation.Check]), the pages of the revocation feed
// (GET /v1/revocations) and their validation ([Set.AddPage]), the jti
// layout of tokens minted from a refresh family ([FamilyTokenID]), and the
// verify-and-check core both run ([Checker]): signature and times, the
// issuer, revocations, then the grants in the access package's terms.
//
// A [Set] keeps live revocations in memory so that checking a token costs
// a few map lookups. A Checker's cache of verified tokens spares only the
// signature: every use of a cached token checks the set again, so a
// revocation takes effect on exactly the tokens it matches, at once, and
// leaves the others cached.
package revocation

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind says which tokens a revocation matches, as the feed spells it.
type Kind string

// The kinds of revocation. Value holds the token ID, user ID, room name,
// API key ID or refresh family ID; IssuedBefore matches an app's tokens
// issued before a time.
const (
	TokenID       Kind = "token_id"
	UserID        Kind = "user_id"
	Room          Kind = "room"
	IssuedBefore  Kind = "issued_before"
	APIKey        Kind = "api_key"
	RefreshFamily Kind = "refresh_family"
)

// Known reports whether k is a kind this package knows how to match.
func (k Kind) Known() bool {
	switch k {
	case TokenID, UserID, Room, IssuedBefore, APIKey, RefreshFamily:
		return true
	}
	return false
}

// Revocation is one entry of the revocation feed: it makes an app's
// matching tokens invalid before they expire.
type Revocation struct {
	Seq          int64     `json:"seq"`
	App          string    `json:"app"`
	Kind         Kind      `json:"kind"`
	Value        string    `json:"value,omitempty"`
	IssuedBefore time.Time `json:"issued_before,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// Check reports what keeps r from being applied as the feed means it: an
// entry needs an app, a kind, its creation and expiry times, and for a
// known kind, the value or time that kind matches on. A revocation of a
// user or a room without its creation time would match no token at all,
// and one without an expiry could never be forgotten. Kinds this package
// does not know pass, so that a newer service does not stall older
// verifiers; they match no token.
func (r Revocation) Check() error {
	switch {
	case r.App == "":
		return errors.New("no app")
	case r.Kind == "":
		return errors.New("no kind")
	case r.CreatedAt.IsZero() || r.ExpiresAt.IsZero():
		return errors.New("no created_at or expires_at")
	case r.Kind == IssuedBefore && r.IssuedBefore.IsZero():
		return errors.New("issued_before revocation without issued_before")
	case r.Kind.Known() && r.Kind != IssuedBefore && r.Value == "":
		return fmt.Errorf("%s revocation without a value", r.Kind)
	}
	return nil
}

// cutoff is the instant before which a token's iat must lie to be revoked.
// iat has whole seconds, so a revocation made at 10:00:00.5 covers every
// token stamped 10:00:00: the token could have been minted before it.
func (r Revocation) cutoff() time.Time {
	t := r.IssuedBefore
	if t.IsZero() {
		t = r.CreatedAt
	}
	if r.Kind == IssuedBefore {
		return t
	}
	return t.Truncate(time.Second).Add(time.Second)
}

// ErrRevoked reports a token that matches a revocation.
var ErrRevoked = errors.New("token revoked")

// FamilyTokenID is the jti of a token minted with a refresh token of
// family: "<family>.<id>", so that revoking the family (RefreshFamily)
// matches every token it minted.
func FamilyTokenID(family, id string) string {
	return family + "." + id
}

// FamilyOf returns the refresh family a token was minted from, or "" for
// a token minted without a refresh token (see FamilyTokenID).
func FamilyOf(jti string) string {
	if i := strings.IndexByte(jti, '.'); i > 0 {
		return jti[:i]
	}
	return ""
}
