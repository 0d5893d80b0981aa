package authority

import (
	"context"
	"errors"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/token"
)

// Produce starts producing source in the actor's own session. The
// session's current permissions decide (moderators may have changed them
// since its token was minted), and the room's producer cap is taken
// atomically: of racing sessions exactly as many win as the cap allows.
func (a *Authority) Produce(ctx context.Context, actor Principal, room, id, source string) (Session, error) {
	need, err := access.SourcePermission(source)
	if err != nil {
		return Session{}, err
	}
	p, s, err := a.target(ctx, actor, room, id)
	if err != nil {
		return Session{}, err
	}
	if err := p.asSelf(s); err != nil {
		return Session{}, err
	}
	if s.State == storage.SessionWaiting {
		return Session{}, notAdmitted("a session waiting to be admitted cannot produce")
	}
	if !permsOf(s).Has(need) {
		return Session{}, missingPermission(need)
	}
	now := a.now()
	out, err := a.store.ClaimProducer(ctx, p.app, room, id, source, now)
	switch {
	case errors.Is(err, storage.ErrRoomFull):
		return Session{}, roomFull(room, "producer")
	case errors.Is(err, storage.ErrConflict):
		return Session{}, sessionEnded(id)
	case err != nil:
		return Session{}, err
	}
	// A moderator who took the permission away between the check and the
	// claim dropped every source it no longer allows, but could not see
	// this one yet: the session as claimed tells.
	if !permsOf(out).Has(need) {
		if _, err := a.store.ReleaseProducer(ctx, p.app, room, id, source, now); err != nil {
			return Session{}, err
		}
		return Session{}, missingPermission(need)
	}
	return sessionOf(out), nil
}

// Unproduce stops producing source; the session's own participant may,
// and so may a moderator holding moderate.mute.
func (a *Authority) Unproduce(ctx context.Context, actor Principal, room, id, source string) (Session, error) {
	if _, err := access.SourcePermission(source); err != nil {
		return Session{}, err
	}
	p, s, err := a.target(ctx, actor, room, id)
	if err != nil {
		return Session{}, err
	}
	if !p.self(s) {
		if _, err := a.moderate(ctx, p, s, access.ModerateMute); err != nil {
			return Session{}, err
		}
	}
	out, err := a.store.ReleaseProducer(ctx, p.app, room, id, source, a.now())
	if errors.Is(err, storage.ErrConflict) {
		return Session{}, sessionEnded(id)
	}
	return viewed(out, err)
}

// SessionToken mints a fresh access token for the actor's own session,
// carrying the session's current role and permissions (so a promotion or
// a demotion shows in it), bound to the room and to the participant, for
// the same user, through the API key of the session's token. The session
// then runs on the new token: under the continuous policy it ends when the
// new token expires, not the old one. The lease is renewed too.
func (a *Authority) SessionToken(ctx context.Context, actor Principal, room, id string) (Issued, error) {
	return a.sessionToken(ctx, actor, room, id, nil)
}

// sessionToken is SessionToken in format f, or in stagedoor's own when f
// is nil.
func (a *Authority) sessionToken(ctx context.Context, actor Principal, room, id string, f MediaFormat) (Issued, error) {
	p, s, err := a.target(ctx, actor, room, id)
	if err != nil {
		return Issued{}, err
	}
	if err := p.asSelf(s); err != nil {
		return Issued{}, err
	}
	e, ok := a.apiKey(s.TokenIssuer)
	if !ok || e.key.Revoked() {
		return Issued{}, ErrRevoked
	}
	perms := permsOf(s).Minus(access.APIPermissions)
	if e.kind == access.Development {
		perms = perms.Minus(access.DevelopmentForbidden)
	}
	spec := token.Spec{
		Issuer: e.key.ID, Kind: e.kind, Subject: s.Subject, Audience: access.AudienceRTC, ID: randomID("", 12), App: s.AppID,
		IssuedAt: a.now(), TTL: min(access.DefaultTTL, access.MaxTTLFor(e.kind)),
		Grants: access.Grants{Role: s.Role, Permissions: perms, Rooms: []string{room}, Participant: s.Participant, User: access.Authenticated},
	}
	switch {
	case p.self(s) && p.v.Claims.User != nil:
		u := p.v.Claims.User
		spec.Grants.User, spec.Name, spec.Image, spec.Metadata = u.Type, u.Name, u.Image, u.Metadata
	case s.Subject == access.AnonymousSubject:
		spec.Grants.User = access.Anonymous
	}
	c := token.NewClaims(spec)
	m := minter{appID: s.AppID, keyID: e.key.ID, kind: e.kind, holder: access.KeyHolder(e.kind), actor: p.name}
	var out Issued
	if f == nil {
		out, err = a.sign(ctx, m, c)
	} else {
		out, err = a.signSession(ctx, m, c, s, f)
	}
	if err != nil {
		return Issued{}, err
	}
	_, err = a.store.RenewSession(ctx, p.app, room, id, a.now().Add(Lease), c.ID, c.Issuer, c.IssuedAt, a.watchUntil(p.app, c.ExpiresAt), a.now())
	if errors.Is(err, storage.ErrConflict) {
		return Issued{}, sessionEnded(id)
	}
	if err != nil {
		return Issued{}, err
	}
	return out, nil
}
