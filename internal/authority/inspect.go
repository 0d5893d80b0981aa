package authority

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/inspect"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/revocation"
	"github.com/stagedoor/stagedoor/token"
)

// Inspection is the console inspector's answer about a token: what it
// says (the Report), whether its signature holds and against which key,
// whether the service takes it and why not, in words, and what it allows
// in each room it names.
type Inspection struct {
	*inspect.Report
	// Signature is "verified", or the token.Error reason that stopped the
	// check of the signature (bad_signature, unknown_key, malformed...).
	Signature string
	// SignedBy says which key the signature was checked against.
	SignedBy string
	// App is the app the token belongs to, if it says.
	App string
	// Revoked says a revocation matches the token; RevokedBy which one.
	Revoked   bool
	RevokedBy string
	// Explanation says in words why the token is not valid; empty when it
	// is.
	Explanation string
	// Rooms are the token's rights room by room: one entry per room it is
	// bound to, or one for any room (Room empty).
	Rooms []RoomRights
}

// RoomRights is what a token lets its holder do in one room now.
type RoomRights struct {
	// Room is empty for any room of the app.
	Room        string
	Permissions []string
	// Admission is how the holder enters: direct, wait or denied.
	Admission string
	// Allowed says the token works in the room at all.
	Allowed bool
	// Reason says in words where the rights come from, or why there are
	// none.
	Reason string
}

// InspectToken inspects raw for by, an operator or an app's owner (who
// may inspect only its app's tokens). With secret, the signature is
// checked against that API secret instead of the keys the service knows.
func (a *Authority) InspectToken(ctx context.Context, by Principal, raw, secret string) (Inspection, error) {
	if _, err := by.within(by.App); err != nil {
		return Inspection{}, err
	}
	now := a.now()
	rep, h, c := inspect.Decode(raw, now, a.leeway)
	out := Inspection{Report: rep, Signature: rep.Reason}
	if c == nil {
		out.Explanation = "this is not a token: " + rep.Error
		return out, nil
	}
	out.App = a.appOfToken(h, c)
	if by.App != "" && out.App != by.App {
		return Inspection{}, ErrOtherApp
	}
	keys, err := a.inspectionKeys(h, c, secret, &out)
	if err != nil {
		return Inspection{}, err
	}
	// Decode read the token as Verify does, so Verify fails before the
	// signature only for its algorithm or key, and at it for a bad one.
	_, err = token.NewVerifier(keys, token.WithLeeway(a.leeway), token.WithClock(a.now)).Verify(ctx, raw)
	switch {
	case errors.Is(err, token.ErrAlgorithmNotAllowed), errors.Is(err, token.ErrUnknownKey), errors.Is(err, token.ErrBadSignature):
		out.Signature = reasonOf(err)
	default:
		out.Signature, rep.Verified = "verified", true
	}
	if c.Audience == ConsoleAudience {
		_, err = a.Console(ctx, raw)
		a.judge(ctx, &out, c, err, "")
		return out, nil
	}
	v, err := a.tokens.Verify(ctx, raw, "")
	a.judge(ctx, &out, c, err, "")
	if err != nil {
		return out, nil
	}
	rights, err := a.roomRights(ctx, raw, v)
	out.Rooms = rights
	return out, err
}

// reasonOf is the token.Error reason of err, or "".
func reasonOf(err error) string {
	var te *token.Error
	if errors.As(err, &te) {
		return te.Reason
	}
	return ""
}

// appOfToken is the app a token says it belongs to, or the app of the API
// key that signed or issued it.
func (a *Authority) appOfToken(h *token.Header, c *token.Claims) string {
	if c.App != "" {
		return c.App
	}
	for _, id := range []string{c.Issuer, h.Kid} {
		if e, ok := a.apiKey(id); ok {
			return e.key.AppID
		}
	}
	return ""
}

// inspectionKeys returns the keys the signature is checked against and
// says which in out.SignedBy: the secret given, else every key the
// service knows.
func (a *Authority) inspectionKeys(h *token.Header, c *token.Claims, secret string, out *Inspection) (token.KeyResolver, error) {
	if secret != "" {
		kind := access.Production
		if c.Dev {
			kind = access.Development
		}
		k, err := token.NewHMACKey(h.Kid, []byte(secret), kind)
		if err != nil {
			return nil, invalid("secret", "%s", err.Error())
		}
		out.SignedBy = "HS256 with the secret given, as key " + h.Kid
		return token.NewKeySet(k)
	}
	a.keys.mu.RLock()
	_, service := a.keys.verify[h.Kid]
	a.keys.mu.RUnlock()
	switch e, ok := a.apiKey(h.Kid); {
	case service:
		out.SignedBy = "EdDSA with the service's signing key " + h.Kid + ", published in the JWKS"
	case ok:
		out.SignedBy = fmt.Sprintf("HS256 with the secret of the %s API key %s", e.kind, h.Kid)
	default:
		out.SignedBy = "no key of this service has id " + h.Kid
	}
	return resolver{a}, nil
}

// judge records the outcome err of the service's check of c, in room if
// any, in out.
func (a *Authority) judge(ctx context.Context, out *Inspection, c *token.Claims, err error, room string) {
	if err == nil {
		out.Valid, out.Error, out.Reason = true, "", ""
		return
	}
	out.Fail(err)
	switch {
	case errors.Is(err, ErrRevoked):
		out.Reason = "revoked"
		out.Revoked = true
		out.RevokedBy = a.revokedBy(ctx, c, room)
		out.Explanation = out.RevokedBy
	case errors.Is(err, token.ErrExpired):
		out.Explanation = fmt.Sprintf("it expired at %s, %s ago", c.ExpiresAt.UTC().Format(time.RFC3339), a.now().Sub(c.ExpiresAt).Round(time.Second))
	case errors.Is(err, token.ErrBadSignature):
		out.Explanation = "its signature does not match: the token was altered, or signed with another key or secret"
	case errors.Is(err, token.ErrUnknownKey):
		out.Explanation = "no key of this service signed it: it comes from elsewhere, or its key is gone"
	default:
		out.Explanation = out.Error
	}
}

// revokedBy says in words which revocation matches c, used in room if
// any; for a console token, how its console session ended.
func (a *Authority) revokedBy(ctx context.Context, c *token.Claims, room string) string {
	if c.Audience == ConsoleAudience {
		return a.consoleEnded(ctx, c.ID)
	}
	for after := int64(0); ; {
		rs, err := a.store.ListRevocations(ctx, storage.RevocationQuery{AfterSeq: after, AppID: c.App, Limit: revocation.PageSize})
		if err != nil {
			return "a revocation matches it (which one could not be read: " + err.Error() + ")"
		}
		for _, r := range revocationsOf(rs) {
			one := revocation.NewSet()
			one.Add(r)
			if one.Revoked(c, room) {
				return revocationWords(r)
			}
			after = r.Seq
		}
		if len(rs) < revocation.PageSize {
			return "a revocation made moments ago matches it"
		}
	}
}

// consoleEnded says in words why console session id no longer acts.
func (a *Authority) consoleEnded(ctx context.Context, id string) string {
	s, err := a.store.GetConsoleSession(ctx, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Sprintf("its console session %s is gone: it ended and was forgotten", id)
	case err != nil:
		return fmt.Sprintf("its console session %s ended (how could not be read: %s)", id, err.Error())
	case s.Revoked():
		return fmt.Sprintf("its console session %s was signed out at %s", id, s.RevokedAt.UTC().Format(time.RFC3339))
	case s.APIKeyID != "":
		return fmt.Sprintf("API key %s, which its console session %s signed in with, was revoked", s.APIKeyID, id)
	}
	return fmt.Sprintf("its console session %s ended", id)
}

// revocationWords says what a revocation did.
func revocationWords(r revocation.Revocation) string {
	at := r.CreatedAt.UTC().Format(time.RFC3339)
	switch r.Kind {
	case revocation.TokenID:
		return fmt.Sprintf("token %s was revoked at %s", r.Value, at)
	case revocation.UserID:
		return fmt.Sprintf("every token of user %s issued up to %s was revoked then", r.Value, at)
	case revocation.Room:
		return fmt.Sprintf("every token for room %s issued up to %s was revoked then", r.Value, at)
	case revocation.IssuedBefore:
		return fmt.Sprintf("every token of the app issued before %s was revoked at %s", r.IssuedBefore.UTC().Format(time.RFC3339), at)
	case revocation.APIKey:
		return fmt.Sprintf("API key %s, which issued it, was revoked at %s", r.Value, at)
	case revocation.RefreshFamily:
		return fmt.Sprintf("its refresh token family was revoked at %s, after a refresh token was used twice or revoked", at)
	}
	return fmt.Sprintf("a %s revocation made at %s matches it", r.Kind, at)
}

// roomRights is what v allows room by room.
func (a *Authority) roomRights(ctx context.Context, raw string, v *Verified) ([]RoomRights, error) {
	granted := v.Grants.Permissions
	if v.Grants.Rooms == nil {
		return []RoomRights{{Permissions: granted.Names(), Admission: access.AdmissionOf(granted).String(), Allowed: true,
			Reason: "in any room of the app, as its grants say: enters " + inspect.AdmissionText(access.AdmissionOf(granted).String())}}, nil
	}
	app, who := v.Claims.App, participantOf(v)
	out := make([]RoomRights, 0, len(v.Grants.Rooms))
	for _, room := range v.Grants.Rooms {
		r := RoomRights{Room: room, Permissions: []string{}, Admission: access.Denied.String()}
		if _, err := a.tokens.Verify(ctx, raw, room); err != nil {
			r.Reason = "none: " + a.revokedBy(ctx, v.Claims, room)
			out = append(out, r)
			continue
		}
		if err := a.checkBlocked(ctx, app, room, who); err != nil {
			r.Reason = fmt.Sprintf("none: participant %s is blocked from the room", who)
			out = append(out, r)
			continue
		}
		sessions, err := a.store.ListSessions(ctx, app, room)
		if err != nil {
			return nil, err
		}
		perms := granted
		r.Reason = "as its grants say: enters " + inspect.AdmissionText(access.AdmissionOf(granted).String())
		if own, ok := findParticipant(sessions, who); ok {
			perms = permsOf(own)
			r.Reason = fmt.Sprintf("those of its session %s (%s), as moderators left them", own.ID, own.State)
		}
		r.Permissions, r.Admission, r.Allowed = perms.Names(), access.AdmissionOf(perms).String(), true
		out = append(out, r)
	}
	return out, nil
}
