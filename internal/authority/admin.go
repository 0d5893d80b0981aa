package authority

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/revocation"
)

// The use cases of the admin API: those of the command line, open to the
// operators of the deployment and, for their own app, to apps' owners
// (Principal.App). Each checks the app first, then acts as an operator.

// AppOf returns the app named by id or name if by may manage it. An
// app's owner learns nothing of other apps, not even whether they exist.
func (a *Authority) AppOf(ctx context.Context, by Principal, app string) (App, error) {
	if _, err := by.within(by.App); err != nil {
		return App{}, err
	}
	found, err := a.FindApp(ctx, app)
	var nf *NotFoundError
	if errors.As(err, &nf) && by.App != "" {
		return App{}, ErrOtherApp
	}
	if err != nil {
		return App{}, err
	}
	if _, err := by.within(found.ID); err != nil {
		return App{}, err
	}
	return found, nil
}

// AppsOf lists the apps by may manage.
func (a *Authority) AppsOf(ctx context.Context, by Principal) ([]App, error) {
	if by.App != "" {
		app, err := a.AppOf(ctx, by, by.App)
		if err != nil {
			return nil, err
		}
		return []App{app}, nil
	}
	if _, err := by.deployment(); err != nil {
		return nil, err
	}
	return a.ListApps(ctx)
}

// KeysOf lists the API keys of app; each says what tokens it may mint.
func (a *Authority) KeysOf(ctx context.Context, by Principal, app string) ([]APIKey, error) {
	found, err := a.AppOf(ctx, by, app)
	if err != nil {
		return nil, err
	}
	return a.ListAPIKeys(ctx, found.ID)
}

// CreateKeyIn creates an API key of app.
func (a *Authority) CreateKeyIn(ctx context.Context, by Principal, app string, kind access.KeyKind) (NewKey, error) {
	found, err := a.AppOf(ctx, by, app)
	if err != nil {
		return NewKey{}, err
	}
	if _, err := access.ParseKeyKind(string(kind)); err != nil || kind == access.Service {
		return NewKey{}, invalid("kind", "must be production or development")
	}
	p, _ := by.within(found.ID)
	return a.CreateAPIKey(ctx, p, found.ID, kind)
}

// RevokeKeyIn revokes API key id of app.
func (a *Authority) RevokeKeyIn(ctx context.Context, by Principal, app, id string) error {
	found, err := a.AppOf(ctx, by, app)
	if err != nil {
		return err
	}
	if e, ok := a.apiKey(id); !ok || e.key.AppID != found.ID {
		return &NotFoundError{What: "api key", Name: id}
	}
	p, _ := by.within(found.ID)
	return a.RevokeAPIKey(ctx, p, id)
}

// RoleView is a role of an app's catalog and the roles its holder may
// give others (no escalation: no higher rank, no permission it lacks).
type RoleView struct {
	access.Role
	MayGrant []string
}

// RolesOf lists app's roles, highest rank first.
func (a *Authority) RolesOf(ctx context.Context, by Principal, app string) ([]RoleView, error) {
	found, err := a.AppOf(ctx, by, app)
	if err != nil {
		return nil, err
	}
	roles, err := a.ListRoles(ctx, found.ID)
	if err != nil {
		return nil, err
	}
	out := make([]RoleView, len(roles))
	for i, r := range roles {
		out[i] = RoleView{Role: r, MayGrant: []string{}}
		holder := access.Holder{Permissions: r.Permissions, Rank: r.Rank}
		for _, other := range roles {
			if access.CanGrant(holder, other, 0) == nil {
				out[i].MayGrant = append(out[i].MayGrant, other.Name)
			}
		}
	}
	return out, nil
}

// SetRoleIn creates or replaces a custom role of app.
func (a *Authority) SetRoleIn(ctx context.Context, by Principal, app, name string, perms []string, rank int) (access.Role, error) {
	found, err := a.AppOf(ctx, by, app)
	if err != nil {
		return access.Role{}, err
	}
	p, _ := by.within(found.ID)
	return a.SetRole(ctx, p, found.ID, name, perms, rank)
}

// DeleteRoleIn deletes a custom role of app. Tokens naming it keep the
// permissions they carry; sessions holding it rank lowest from then on.
func (a *Authority) DeleteRoleIn(ctx context.Context, by Principal, app, name string) error {
	found, err := a.AppOf(ctx, by, app)
	if err != nil {
		return err
	}
	p, _ := by.within(found.ID)
	audit := &storage.AuditEntry{Actor: p.Operator, Action: "role.delete", AppID: found.ID, Target: name}
	err = a.store.DeleteRole(ctx, found.ID, name, audit)
	if errors.Is(err, storage.ErrNotFound) {
		return &NotFoundError{What: "custom role", Name: name}
	}
	if err != nil {
		return err
	}
	return a.followCatalog(ctx)
}

// SigningKey is a service signing key, without its private part.
type SigningKey struct {
	ID string
	// State is next, current or retired.
	State        string
	CreatedAt    time.Time
	ActivatedAt  time.Time
	RetiredAt    time.Time
	PublishUntil time.Time
}

// SigningKeys lists the service's signing keys to an operator of the
// deployment.
func (a *Authority) SigningKeys(ctx context.Context, by Principal) ([]SigningKey, error) {
	if _, err := by.deployment(); err != nil {
		return nil, err
	}
	keys, err := a.store.ListSigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]SigningKey, len(keys))
	for i, k := range keys {
		out[i] = SigningKey{ID: k.ID, State: string(k.State), CreatedAt: k.CreatedAt, ActivatedAt: k.ActivatedAt,
			RetiredAt: k.RetiredAt, PublishUntil: k.PublishUntil}
	}
	return out, nil
}

// AuditOf returns a page of the audit log: of every app to an operator,
// of its app only to an app's owner.
func (a *Authority) AuditOf(ctx context.Context, by Principal, q AuditQuery) (AuditPage, error) {
	if by.App != "" && q.AppID == "" {
		q.AppID = by.App
	}
	if _, err := by.within(q.AppID); err != nil {
		return AuditPage{}, err
	}
	return a.Audit(ctx, q)
}

// RevokeIn revokes app's tokens as Revoke does for its API keys.
func (a *Authority) RevokeIn(ctx context.Context, by Principal, app string, req RevokeRequest) (revocation.Revocation, error) {
	found, err := a.AppOf(ctx, by, app)
	if err != nil {
		return revocation.Revocation{}, err
	}
	return a.revoke(ctx, found.ID, by.Operator, req)
}

// RevocationsOf is app's revocation feed.
func (a *Authority) RevocationsOf(ctx context.Context, by Principal, app string, after int64, limit int) ([]revocation.Revocation, error) {
	found, err := a.AppOf(ctx, by, app)
	if err != nil {
		return nil, err
	}
	return a.revocationFeed(ctx, found.ID, after, limit)
}

// MaxRoomPage caps the rooms one LiveRooms call lists.
const MaxRoomPage = 500

// LiveRooms lists up to limit live rooms of app whose names sort after
// after.
func (a *Authority) LiveRooms(ctx context.Context, by Principal, app, after string, limit int) ([]Room, error) {
	found, err := a.AppOf(ctx, by, app)
	if err != nil {
		return nil, err
	}
	if limit < 1 || limit > MaxRoomPage {
		return nil, invalid("limit", "must be between 1 and %d", MaxRoomPage)
	}
	rooms, err := a.store.ListLiveRooms(ctx, found.ID, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Room, len(rooms))
	for i, r := range rooms {
		out[i] = roomOf(r)
	}
	return out, nil
}

// MintIn mints a token of app as its API key keyID would for req, on
// behalf of by: the console's token generator. It mints no refresh token.
func (a *Authority) MintIn(ctx context.Context, by Principal, app, keyID string, req IssueRequest) (Issued, error) {
	found, err := a.AppOf(ctx, by, app)
	if err != nil {
		return Issued{}, err
	}
	if req.Refresh {
		return Issued{}, invalid("refresh", "the console mints no refresh tokens")
	}
	e, ok := a.liveKey(keyID)
	if !ok || e.key.AppID != found.ID {
		return Issued{}, invalid("api_key", "%q is no live API key of app %s", keyID, found.Name)
	}
	m := minter{appID: found.ID, keyID: keyID, kind: e.kind, holder: access.KeyHolder(e.kind), actor: by.Operator}
	c, err := a.resolve(m, req)
	if err != nil {
		return Issued{}, err
	}
	return a.sign(ctx, m, c)
}

// ModeratorToken mints by a host's token for one room of app, so that
// the console moderates it through the rooms API as any moderator does:
// issued by the API key an owner signed in with, or for an operator by
// the app's oldest live production key. Its user is by's audit name.
func (a *Authority) ModeratorToken(ctx context.Context, by Principal, app, room string) (Issued, error) {
	found, err := a.AppOf(ctx, by, app)
	if err != nil {
		return Issued{}, err
	}
	if err := access.CheckName("room", room); err != nil {
		return Issued{}, err
	}
	keyID, err := a.moderatorKey(ctx, by, found)
	if err != nil {
		return Issued{}, err
	}
	return a.MintIn(ctx, by, found.ID, keyID, IssueRequest{UserID: by.Operator, Role: access.Host, Rooms: []string{room}})
}

// moderatorKey is the API key the moderator tokens of by in app trace
// back to.
func (a *Authority) moderatorKey(ctx context.Context, by Principal, app App) (string, error) {
	if by.App != "" {
		s, err := a.liveConsoleSession(ctx, by.Session)
		if err != nil {
			return "", err
		}
		return s.APIKeyID, nil
	}
	keys, err := a.ListAPIKeys(ctx, app.ID)
	if err != nil {
		return "", err
	}
	for _, k := range keys {
		if !k.Revoked() && k.Kind == access.Production {
			return k.ID, nil
		}
	}
	return "", &ConflictError{Code: "no_production_key", Detail: fmt.Sprintf("app %s has no live production API key to moderate with: create one", app.Name)}
}
