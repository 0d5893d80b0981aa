package revocation

import (
	"context"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

// Checker is the verify-and-check core of the service and of the verifier
// package: a token passes when its signature and times verify, its issuer
// vouches for it, no revocation matches it, and its grants speak the
// access vocabulary. It is safe for concurrent use.
type Checker struct {
	tokens *token.Verifier
	set    *Set
	vouch  func(*token.Claims) error
	now    func() time.Time
	cache  *verifiedCache
}

// CheckerConfig holds a Checker's dependencies.
type CheckerConfig struct {
	// Tokens checks signatures, times and the claims' form.
	Tokens *token.Verifier
	// Revocations are the revocations tokens are checked against.
	Revocations *Set
	// Vouch, if set, sees the authentic claims before any revocation is
	// checked: it fills in what a token may leave out (its app) and
	// refuses one its issuer does not stand behind. Its error is returned
	// as it is. It sees a cached token's claims again on each use, filled
	// in already, and must then only read them.
	Vouch func(*token.Claims) error
	// CacheSize bounds a cache of verified tokens, so that a token checked
	// many times pays for its signature once; zero means no cache. A
	// cached token is never used at or past its exp, and Vouch and the
	// revocations see it again on every use: a revocation takes effect on
	// the tokens it matches at once and leaves the others cached.
	CacheSize int
	// Now is the cache's clock; default time.Now.
	Now func() time.Time
}

// NewChecker returns a Checker.
func NewChecker(cfg CheckerConfig) *Checker {
	k := &Checker{tokens: cfg.Tokens, set: cfg.Revocations, vouch: cfg.Vouch, now: cfg.Now}
	if k.now == nil {
		k.now = time.Now
	}
	if cfg.CacheSize > 0 {
		k.cache = newVerifiedCache(cfg.CacheSize)
	}
	return k
}

// Verified is a token that passed every check, with its grants in the
// access package's terms. Its claims are shared: read them, never change
// them.
type Verified struct {
	Claims *token.Claims
	Grants access.Grants
}

// Verify checks raw for use in room, "" for none (see Set.Revoked). A
// token that matches a revocation is ErrRevoked; one whose claims or
// grants are wrong is a *token.Error; Vouch's errors come back as they
// are.
func (k *Checker) Verify(ctx context.Context, raw, room string) (*Verified, error) {
	if k.cache != nil {
		if v, ok := k.cache.get(raw, k.now()); ok {
			if err := k.admit(v.Claims, room); err != nil {
				return nil, err
			}
			return v, nil
		}
	}
	c, err := k.tokens.Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	if err := k.admit(c, room); err != nil {
		return nil, err
	}
	g, err := token.GrantsOf(c)
	if err != nil {
		return nil, err
	}
	v := &Verified{Claims: c, Grants: g}
	if k.cache != nil {
		// A revocation added since admit is seen by the next use.
		k.cache.put(raw, v)
	}
	return v, nil
}

// admit asks what can change after a token was signed: whether its issuer
// still vouches for it, and whether a revocation matches it in room.
func (k *Checker) admit(c *token.Claims, room string) error {
	if k.vouch != nil {
		if err := k.vouch(c); err != nil {
			return err
		}
	}
	if k.set.Revoked(c, room) {
		return ErrRevoked
	}
	return nil
}
