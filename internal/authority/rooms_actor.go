package authority

import (
	"context"
	"errors"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// party is an actor resolved for one room.
type party struct {
	app string
	key *Caller
	v   *Verified
	// identity is the participant a token acts as (participantOf).
	identity string
	// name names the party in the audit log and as a room's creator.
	name string
}

// party verifies actor for room, which must be a valid name: a token must
// be valid (not expired, not revoked, not revoked in the room), bound to the
// room if bound to rooms, and its participant must not be blocked from the
// room.
func (a *Authority) party(ctx context.Context, actor Principal, room string) (*party, error) {
	if err := access.CheckName("room", room); err != nil {
		return nil, err
	}
	if actor.Operator != "" {
		return nil, ErrOperatorInRoom
	}
	if actor.Key != nil {
		return &party{app: actor.Key.AppID, key: actor.Key, name: actor.Key.Actor()}, nil
	}
	v, err := a.tokens.Verify(ctx, actor.Token, room)
	if err != nil {
		return nil, err
	}
	if !v.Grants.InRoom(room) {
		return nil, roomMismatch(room)
	}
	id := participantOf(v)
	if err := a.checkBlocked(ctx, v.Claims.App, room, id); err != nil {
		return nil, err
	}
	return &party{app: v.Claims.App, v: v, identity: id, name: "user:" + v.Claims.Subject}, nil
}

// participantOf is the identity a token acts as in a room: its participant
// binding, else its subject. Anonymous tokens all share one subject, so
// each unbound anonymous token is its own participant.
func participantOf(v *Verified) string {
	switch {
	case v.Grants.Participant != "":
		return v.Grants.Participant
	case v.Grants.User == access.Anonymous:
		return "anon:" + v.Claims.ID
	}
	return v.Claims.Subject
}

// self reports whether the party is session s's own participant.
func (p *party) self(s storage.Session) bool { return p.v != nil && p.identity == s.Participant }

// asSelf allows the session's own participant and API keys.
func (p *party) asSelf(s storage.Session) error {
	if p.key != nil || p.self(s) {
		return nil
	}
	return participantMismatch(s.Participant)
}

// target resolves actor in room and loads session id, which must not have
// ended.
func (a *Authority) target(ctx context.Context, actor Principal, room, id string) (*party, storage.Session, error) {
	p, err := a.party(ctx, actor, room)
	if err != nil {
		return nil, storage.Session{}, err
	}
	s, err := a.store.GetSession(ctx, p.app, room, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil, storage.Session{}, &NotFoundError{What: "session", Name: id}
	case err != nil:
		return nil, storage.Session{}, err
	case s.State == storage.SessionEnded:
		return nil, storage.Session{}, sessionEnded(id)
	}
	return p, s, nil
}

// holder is what the party acts with in room: an API key's everything;
// else the rights of its own session there, which moderators may have
// changed since its token was minted; else its token's. A party whose
// session still waits may do nothing yet.
func (a *Authority) holder(ctx context.Context, p *party, room string) (access.Holder, error) {
	if p.key != nil {
		return access.KeyHolder(p.key.Kind), nil
	}
	own, ok, err := a.ownSession(ctx, p.app, room, p.identity)
	if err != nil {
		return access.Holder{}, err
	}
	if ok {
		if own.State == storage.SessionWaiting {
			return access.Holder{}, notAdmitted("a participant waiting to be admitted cannot moderate")
		}
		return access.Holder{Permissions: permsOf(own), Rank: a.role(p.app, own.Role).Rank}, nil
	}
	return access.Holder{Permissions: p.v.Grants.Permissions, Rank: a.role(p.app, p.v.Grants.Role).Rank}, nil
}

// moderate checks that the party may act on session s with permission
// need: an API key always; a token holder as its own session's
// participant when self is allowed, else as a moderator holding need and
// ranked no lower than s's role.
func (a *Authority) moderate(ctx context.Context, p *party, s storage.Session, need access.Permission) (access.Holder, error) {
	h, err := a.holder(ctx, p, s.Room)
	if err != nil {
		return access.Holder{}, err
	}
	if p.key != nil {
		return h, nil
	}
	return h, access.CanModerate(h, need, a.role(s.AppID, s.Role).Rank)
}

// permsOf is a session's effective permissions.
func permsOf(s storage.Session) access.Set { return setOf(s.Permissions) }

// setOf is the set of the permissions named; names outside the vocabulary
// grant nothing.
func setOf(names []string) access.Set {
	var set access.Set
	for _, name := range names {
		if p, err := access.ParsePermission(name); err == nil {
			set |= access.Of(p)
		}
	}
	return set
}
