package authority

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// SessionChange is a moderator's change to a session. Mute stops sources
// (moderate.mute); Role and Permissions change the session's rights
// (moderate.permissions): Role alone gives the role's permissions,
// Permissions (the full list) replaces them, with or without a new role.
type SessionChange struct {
	Mute        []string
	Role        string
	Permissions []string
}

// allSources are every source a session can produce.
var allSources = []string{access.SourceCamera, access.SourceMicrophone, access.SourceScreen}

// UpdateSession applies a moderator's change at once: the session's
// effective permissions change, and sources it may no longer produce stop
// (freeing its producer slot if none is left). No escalation: a moderator
// acts only on peers ranked no higher than itself, gives no role ranked
// above its own and no permission it lacks.
func (a *Authority) UpdateSession(ctx context.Context, actor Principal, room, id string, ch SessionChange) (Session, error) {
	if ch.Mute == nil && ch.Role == "" && ch.Permissions == nil {
		return Session{}, invalid("body", "give mute, role or permissions")
	}
	for _, src := range ch.Mute {
		if _, err := access.SourcePermission(src); err != nil {
			return Session{}, &access.InvalidError{Field: "mute", Detail: err.(*access.InvalidError).Detail}
		}
	}
	p, s, err := a.target(ctx, actor, room, id)
	if err != nil {
		return Session{}, err
	}
	u := storage.SessionUpdate{DropSources: ch.Mute}
	if ch.Mute != nil {
		if _, err := a.moderate(ctx, p, s, access.ModerateMute); err != nil {
			return Session{}, err
		}
	}
	if ch.Role != "" || ch.Permissions != nil {
		h, err := a.moderate(ctx, p, s, access.ModeratePermissions)
		if err != nil {
			return Session{}, err
		}
		if u.Role, u.Permissions, err = a.newRights(p.app, h, s, ch); err != nil {
			return Session{}, err
		}
		perms, _ := access.ParseSet(u.Permissions)
		for _, src := range access.LostSources(allSources, perms) {
			if !slices.Contains(u.DropSources, src) {
				u.DropSources = append(u.DropSources, src)
			}
		}
	}
	out, err := a.store.UpdateSession(ctx, p.app, room, id, u, a.now())
	if errors.Is(err, storage.ErrConflict) {
		return Session{}, sessionEnded(id)
	}
	return viewed(out, err)
}

// newRights is the role and permissions ch gives s, checked against what
// the moderator h may give.
func (a *Authority) newRights(app string, h access.Holder, s storage.Session, ch SessionChange) (string, []string, error) {
	role := a.role(app, s.Role)
	perms := permsOf(s)
	if ch.Role != "" {
		cat, err := a.catalog(app)
		if err != nil {
			return "", nil, err
		}
		if role, err = cat.Role(ch.Role); err != nil {
			return "", nil, &access.InvalidError{Field: "role", Detail: err.Error()}
		}
		// Giving a role is giving its rank and its permissions; sessions
		// are media sessions, which never hold api.*.
		perms = role.Permissions.Minus(access.APIPermissions)
		if err := access.CanGrant(h, access.Role{Name: role.Name, Rank: role.Rank, Permissions: perms}, 0); err != nil {
			return "", nil, err
		}
	}
	if ch.Permissions != nil {
		set, err := access.ParseSet(ch.Permissions)
		if err != nil {
			return "", nil, &access.InvalidError{Field: "permissions", Detail: err.Error()}
		}
		// Only what is added is given: a moderator may leave a peer a
		// permission it lacks itself, never hand one out.
		added := set.Minus(permsOf(s))
		if ch.Role != "" {
			added = set.Minus(role.Permissions)
		}
		if err := access.CanGrant(h, access.Role{Name: role.Name, Rank: role.Rank}, added); err != nil {
			return "", nil, err
		}
		perms = set.Minus(access.APIPermissions)
	}
	if e, ok := a.apiKey(s.TokenIssuer); ok && e.kind == access.Development {
		if p, ok := (perms & access.DevelopmentForbidden).First(); ok {
			return "", nil, &access.ForbiddenError{Reason: access.ReasonDevelopmentLimit, Missing: p,
				Detail: fmt.Sprintf("a session on a development token cannot hold %s", p)}
		}
	}
	if s.Subject == access.AnonymousSubject {
		if p, ok := perms.Minus(access.AnonymousAllowed).First(); ok {
			return "", nil, &access.ForbiddenError{Reason: access.ReasonAnonymousLimit, Missing: p,
				Detail: fmt.Sprintf("anonymous users may only join and consume, not hold %s", p)}
		}
	}
	return role.Name, perms.Names(), nil
}

// Kick ends a session (kicked); the actor needs moderate.kick over the
// session's rank. With block, the participant is barred from the room:
// it cannot join again, and its tokens, refreshed ones too, are refused in
// the room.
func (a *Authority) Kick(ctx context.Context, actor Principal, room, id string, block bool) (Session, error) {
	p, s, err := a.target(ctx, actor, room, id)
	if err != nil {
		return Session{}, err
	}
	if _, err := a.moderate(ctx, p, s, access.ModerateKick); err != nil {
		return Session{}, err
	}
	if !block {
		return viewed(a.endSession(ctx, s, storage.EndKicked))
	}
	audit := &storage.AuditEntry{Actor: p.name, Action: "room.block", AppID: p.app, Target: s.Participant, Detail: []byte(fmt.Sprintf(`{"room":%q}`, room))}
	out, err := a.store.BlockParticipant(ctx, p.app, room, s.Participant, a.now(), audit)
	a.rooms.blocks.changed(roomKey{p.app, room})
	if err != nil {
		return Session{}, err
	}
	if out.ID == "" {
		return Session{}, sessionEnded(id)
	}
	return sessionOf(out), nil
}

// RequestPermission asks the room's moderators for a permission the
// actor's own session lacks (raise hand).
func (a *Authority) RequestPermission(ctx context.Context, actor Principal, room, id, permission string) (PermissionRequest, error) {
	want, err := access.ParsePermission(permission)
	if err != nil {
		return PermissionRequest{}, &access.InvalidError{Field: "permission", Detail: err.Error()}
	}
	p, s, err := a.target(ctx, actor, room, id)
	if err != nil {
		return PermissionRequest{}, err
	}
	if err := p.asSelf(s); err != nil {
		return PermissionRequest{}, err
	}
	if s.State == storage.SessionWaiting {
		return PermissionRequest{}, notAdmitted("a session waiting to be admitted cannot ask for permissions")
	}
	if permsOf(s).Has(want) {
		return PermissionRequest{}, &ConflictError{Code: CodeAlreadyHeld, Detail: fmt.Sprintf("the session already holds %s", want)}
	}
	r := storage.PermissionRequest{ID: requestID(id, want), AppID: p.app, Room: room, SessionID: id, Permission: want.String()}
	out, err := a.store.CreatePermissionRequest(ctx, r, a.now())
	if errors.Is(err, storage.ErrConflict) {
		return PermissionRequest{}, sessionEnded(id)
	}
	if err != nil {
		return PermissionRequest{}, err
	}
	return requestOf(out), nil
}

// ResolveRequest grants or denies a session's pending permission request;
// the actor needs moderate.permissions over the session's rank, and can
// grant only a permission it holds.
func (a *Authority) ResolveRequest(ctx context.Context, actor Principal, room, id, requestID string, grant bool) (PermissionRequest, Session, error) {
	notFound := &NotFoundError{What: "permission request", Name: requestID}
	asked, ok := requestedIn(requestID, id)
	if !ok {
		return PermissionRequest{}, Session{}, notFound
	}
	p, s, err := a.target(ctx, actor, room, id)
	if err != nil {
		return PermissionRequest{}, Session{}, err
	}
	h, err := a.moderate(ctx, p, s, access.ModeratePermissions)
	if err != nil {
		return PermissionRequest{}, Session{}, err
	}
	if grant {
		if err := access.CanGrant(h, access.Role{}, access.Of(asked)); err != nil {
			return PermissionRequest{}, Session{}, err
		}
	}
	r, out, err := a.store.ResolvePermissionRequest(ctx, p.app, room, requestID, grant, a.now())
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return PermissionRequest{}, Session{}, notFound
	case errors.Is(err, storage.ErrConflict):
		return PermissionRequest{}, Session{}, &ConflictError{Code: CodeRequestResolved, Detail: fmt.Sprintf("request %q is no longer pending", requestID)}
	}
	if err != nil {
		return PermissionRequest{}, Session{}, err
	}
	return requestOf(r), sessionOf(out), nil
}

// requestID names a session's request for permission p:
// "<session>.<random>.<permission>". Session ids and the random part have
// no dots, so a moderator's answer is checked against the session in the
// path, and against what the moderator may grant, before it is stored; a
// forged id is simply not found.
func requestID(session string, p access.Permission) string {
	return session + "." + randomID("", 9) + "." + p.String()
}

// requestedIn returns the permission a request id of session asks for.
func requestedIn(id, session string) (access.Permission, bool) {
	parts := strings.SplitN(id, ".", 3)
	if len(parts) != 3 || parts[0] != session {
		return 0, false
	}
	p, err := access.ParsePermission(parts[2])
	return p, err == nil
}
