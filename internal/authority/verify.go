package authority

import (
	"context"
	"fmt"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/revocation"
	"github.com/stagedoor/stagedoor/token"
)

// resolver finds verification keys: service keys from the key ring, HS256
// keys from the API keys (so partner-minted tokens verify too).
type resolver struct{ a *Authority }

func (r resolver) ResolveKey(_ context.Context, kid string) (*token.Key, error) {
	r.a.keys.mu.RLock()
	k, ok := r.a.keys.verify[kid]
	r.a.keys.mu.RUnlock()
	if ok {
		return k, nil
	}
	if e, ok := r.a.apiKey(kid); ok {
		return e.hmac, nil
	}
	return nil, token.ErrUnknownKey
}

// Verified is a token that passed every check, with its grants resolved.
type Verified = revocation.Verified

// Verify checks a token's signature, times, app and revocations. Every
// failure is a *token.Error or ErrRevoked: the 401 of the HTTP API.
func (a *Authority) Verify(ctx context.Context, raw string) (*Verified, error) {
	return a.tokens.Verify(ctx, raw, "")
}

// Check verifies a token and decides whether it allows permission in room
// acting as participant. Authorisation failures are *access.ForbiddenError.
func (a *Authority) Check(ctx context.Context, raw, room string, p access.Permission, participant string) (*Verified, error) {
	for _, f := range []struct{ field, name string }{{"room", room}, {"participant_id", participant}} {
		if f.name == "" {
			continue
		}
		if err := access.CheckName(f.field, f.name); err != nil {
			return nil, err
		}
	}
	v, err := a.tokens.Verify(ctx, raw, room)
	if err != nil {
		return nil, err
	}
	if err := a.checkBlocked(ctx, v.Claims.App, room, participantOf(v)); err != nil {
		return nil, err
	}
	return v, v.Grants.Check(room, participant, p)
}

// checkIssuer makes sure the token's app exists and the API key it traces
// back to belongs to that app and is not revoked.
func (a *Authority) checkIssuer(c *token.Claims) error {
	k, ok := a.apiKey(c.Issuer)
	if !ok {
		return &token.Error{Reason: token.ErrUnknownKey.Reason, Detail: fmt.Sprintf("issuer %q is not an API key", c.Issuer)}
	}
	if k.key.Revoked() {
		return ErrRevoked
	}
	if c.App == "" {
		c.App = k.key.AppID
	}
	if c.App != k.key.AppID {
		return &token.Error{Reason: "wrong_app", Detail: fmt.Sprintf("token names app %q but its issuer belongs to another app", c.App)}
	}
	if _, ok := a.app(c.App); !ok {
		return &token.Error{Reason: "wrong_app", Detail: fmt.Sprintf("unknown app %q", c.App)}
	}
	return nil
}

// Introspection is RFC 7662's answer about a token.
type Introspection struct {
	Active bool
	Claims *token.Claims
	Grants access.Grants
}

// Introspect tells an app's backend whether a token of that app is active.
// Tokens of other apps, and every failure, are simply inactive.
func (a *Authority) Introspect(ctx context.Context, by Principal, raw string) Introspection {
	caller, err := by.apiKey()
	if err != nil {
		return Introspection{}
	}
	v, err := a.tokens.Verify(ctx, raw, "")
	if err != nil || v.Claims.App != caller.AppID {
		return Introspection{}
	}
	return Introspection{Active: true, Claims: v.Claims, Grants: v.Grants}
}
