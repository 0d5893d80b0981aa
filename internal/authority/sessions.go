package authority

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// Lease is how long a session lives without a heartbeat.
const Lease = 30 * time.Second

// The session policies: how a session treats its token's life.
const (
	// PolicyJoin checks the token only when joining.
	PolicyJoin = "join"
	// PolicyContinuous ends a session whose token expires before it is
	// replaced through SessionToken.
	PolicyContinuous = "continuous"
)

// Join enters room with an access token: as its participant binding, else
// its subject. A holder of room.join joins at once, a holder of
// room.ask_join waits for a moderator; anyone else is refused. A session
// the same participant already had in the room ends (duplicate_identity).
func (a *Authority) Join(ctx context.Context, by Principal, room string) (Session, error) {
	if _, err := by.token(); err != nil {
		return Session{}, err
	}
	p, err := a.party(ctx, by, room)
	if err != nil {
		return Session{}, err
	}
	g, c := p.v.Grants, p.v.Claims
	state := storage.SessionJoined
	switch access.AdmissionOf(g.Permissions) {
	case access.Wait:
		state = storage.SessionWaiting
	case access.Denied:
		return Session{}, &access.ForbiddenError{Reason: access.ReasonMissingPermission, Missing: access.RoomJoin,
			Detail: "missing permission room.join (or room.ask_join to wait for admission)"}
	}
	now := a.now()
	s := storage.Session{
		ID: randomID("ses_", 12), AppID: p.app, Room: room, Participant: p.identity, Subject: c.Subject,
		Role: g.Role, Permissions: g.Permissions.Names(), State: state,
		TokenID: c.ID, TokenIssuer: c.Issuer, TokenIssuedAt: c.IssuedAt, TokenExpiresAt: a.watchUntil(p.app, c.ExpiresAt),
		LeaseUntil: now.Add(Lease),
	}
	joined, _, err := a.store.JoinRoom(ctx, s, now)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return Session{}, &NotFoundError{What: "room", Name: room}
	case errors.Is(err, storage.ErrConflict):
		return Session{}, roomEnded(room)
	case errors.Is(err, storage.ErrBlocked):
		a.rooms.blocks.changed(roomKey{p.app, room})
		return Session{}, blocked(p.identity, room)
	case errors.Is(err, storage.ErrRoomFull):
		return Session{}, roomFull(room, "participant")
	}
	return viewed(joined, err)
}

// watchUntil is the TokenExpiresAt of a session whose token expires at
// exp: the expiry under the continuous policy, zero (not watched) under
// join.
func (a *Authority) watchUntil(app string, exp time.Time) time.Time {
	if a.sessionPolicy(app) == PolicyJoin {
		return time.Time{}
	}
	return exp
}

func (a *Authority) sessionPolicy(app string) string {
	if found, ok := a.app(app); ok && found.SessionPolicy != "" {
		return found.SessionPolicy
	}
	return storage.DefaultSessionPolicy
}

// SetSessionPolicy sets how the caller's app treats tokens in rooms:
// "join" checks a token only when joining, "continuous" also ends a
// session when its token expires. It applies to sessions joining (or
// replacing their token) from then on. Revocations end sessions under
// both.
func (a *Authority) SetSessionPolicy(ctx context.Context, by Principal, policy string) error {
	caller, err := by.apiKey()
	if err != nil {
		return err
	}
	if policy != PolicyJoin && policy != PolicyContinuous {
		return invalid("policy", "unknown policy %q (want join or continuous)", policy)
	}
	audit := &storage.AuditEntry{Actor: caller.Actor(), Action: "app.session_policy", AppID: caller.AppID, Target: policy}
	if err := a.store.SetSessionPolicy(ctx, caller.AppID, policy, audit); err != nil {
		return err
	}
	return a.followCatalog(ctx)
}

// Admit lets a waiting session in; the actor needs moderate.admit.
func (a *Authority) Admit(ctx context.Context, actor Principal, room, id string) (Session, error) {
	p, s, err := a.target(ctx, actor, room, id)
	if err != nil {
		return Session{}, err
	}
	if _, err := a.moderate(ctx, p, s, access.ModerateAdmit); err != nil {
		return Session{}, err
	}
	out, err := a.store.AdmitSession(ctx, p.app, room, id, a.now())
	if errors.Is(err, storage.ErrConflict) {
		return Session{}, notWaiting(id)
	}
	return viewed(out, err)
}

// Reject turns a waiting session away (it ends, rejected); the actor needs
// moderate.admit.
func (a *Authority) Reject(ctx context.Context, actor Principal, room, id string) (Session, error) {
	p, s, err := a.target(ctx, actor, room, id)
	if err != nil {
		return Session{}, err
	}
	if _, err := a.moderate(ctx, p, s, access.ModerateAdmit); err != nil {
		return Session{}, err
	}
	if s.State != storage.SessionWaiting {
		return Session{}, notWaiting(id)
	}
	return viewed(a.endSession(ctx, s, storage.EndRejected))
}

// Leave ends the actor's own session.
func (a *Authority) Leave(ctx context.Context, actor Principal, room, id string) (Session, error) {
	p, s, err := a.target(ctx, actor, room, id)
	if err != nil {
		return Session{}, err
	}
	if err := p.asSelf(s); err != nil {
		return Session{}, err
	}
	return viewed(a.endSession(ctx, s, storage.EndLeft))
}

// Heartbeat renews the lease of the actor's own session.
func (a *Authority) Heartbeat(ctx context.Context, actor Principal, room, id string) (Session, error) {
	p, s, err := a.target(ctx, actor, room, id)
	if err != nil {
		return Session{}, err
	}
	if err := p.asSelf(s); err != nil {
		return Session{}, err
	}
	now := a.now()
	out, err := a.store.RenewSession(ctx, p.app, room, id, now.Add(Lease), "", "", time.Time{}, time.Time{}, now)
	if errors.Is(err, storage.ErrConflict) {
		return Session{}, sessionEnded(id)
	}
	return viewed(out, err)
}

func (a *Authority) endSession(ctx context.Context, s storage.Session, reason string) (storage.Session, error) {
	out, err := a.store.EndSession(ctx, s.AppID, s.Room, s.ID, reason, a.now())
	if errors.Is(err, storage.ErrConflict) {
		return storage.Session{}, sessionEnded(s.ID)
	}
	return out, err
}

func notWaiting(id string) error {
	return &ConflictError{Code: CodeNotWaiting, Detail: fmt.Sprintf("session %q is not waiting", id)}
}
