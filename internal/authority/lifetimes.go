package authority

import (
	"time"

	"github.com/stagedoor/stagedoor/access"
)

// How long a refresh token lives; each rotation starts a new one.
const (
	refreshTTL    = 7 * 24 * time.Hour
	refreshTTLDev = 24 * time.Hour
)

// refreshTTLFor is how long a refresh token minted with a key of kind
// lives.
func refreshTTLFor(kind access.KeyKind) time.Duration {
	if kind == access.Development {
		return refreshTTLDev
	}
	return refreshTTL
}

// credentialLife is the longest any credential a revocation can match
// stays valid after it is issued: access tokens of every origin (minted by
// the service, by a partner with its API secret, for guests, for sessions)
// and key kind, whose lifetime verifiers cap, and refresh tokens.
const credentialLife = max(access.MaxTTL, access.MaxTTLDevelopment, refreshTTL, refreshTTLDev)

// revocationExpiry is when a revocation that matches credentials issued up
// to issuedUpTo may be forgotten: once none of them can still be valid,
// the leeway verifiers grant past exp included. Every revocation the
// authority makes is kept until then.
func (a *Authority) revocationExpiry(issuedUpTo time.Time) time.Time {
	return issuedUpTo.Add(credentialLife + a.leeway)
}
