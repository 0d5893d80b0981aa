package authority

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/secret"
	"github.com/stagedoor/stagedoor/internal/storage"
)

func randomID(prefix string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

var appName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CreateApp creates an app.
func (a *Authority) CreateApp(ctx context.Context, by Principal, name string) (App, error) {
	actor, err := by.operator()
	if err != nil {
		return App{}, err
	}
	if !appName.MatchString(name) {
		return App{}, &access.InvalidError{Field: "name", Detail: fmt.Sprintf("app name %q must be 1-64 letters, digits, '.', '_' or '-'", name)}
	}
	app := storage.App{ID: randomID("app_", 9), Name: name, SessionPolicy: storage.DefaultSessionPolicy, CreatedAt: a.now()}
	audit := &storage.AuditEntry{Actor: actor, Action: "app.create", AppID: app.ID, Target: name}
	if err := a.store.CreateApp(ctx, app, audit); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			return App{}, &ConflictError{Detail: fmt.Sprintf("an app named %q exists", name)}
		}
		return App{}, err
	}
	return appOf(app), a.followCatalog(ctx)
}

// ListApps returns every app.
func (a *Authority) ListApps(ctx context.Context) ([]App, error) {
	apps, err := a.store.ListApps(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]App, len(apps))
	for i, app := range apps {
		out[i] = appOf(app)
	}
	return out, nil
}

// FindApp returns the app with the given id or name.
func (a *Authority) FindApp(ctx context.Context, idOrName string) (App, error) {
	app, err := a.store.GetApp(ctx, idOrName)
	if errors.Is(err, storage.ErrNotFound) {
		app, err = a.store.GetAppByName(ctx, idOrName)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return App{}, &NotFoundError{What: "app", Name: idOrName}
	}
	if err != nil {
		return App{}, err
	}
	return appOf(app), nil
}

// NewKey is a freshly created API key, the only time its secret is shown.
type NewKey struct {
	App    string
	APIKey string
	Secret string
	Kind   access.KeyKind
}

// CreateAPIKey creates an API key for an app (given by id or name).
func (a *Authority) CreateAPIKey(ctx context.Context, by Principal, app string, kind access.KeyKind) (NewKey, error) {
	actor, err := by.operator()
	if err != nil {
		return NewKey{}, err
	}
	found, err := a.FindApp(ctx, app)
	if err != nil {
		return NewKey{}, err
	}
	sec := randomID("", 32)
	id := newKeyID()
	sealed, err := a.box.Seal([]byte(sec), apiKeyAAD(id))
	if err != nil {
		return NewKey{}, err
	}
	detail, _ := json.Marshal(map[string]string{"kind": string(kind)})
	audit := &storage.AuditEntry{Actor: actor, Action: "key.create", AppID: found.ID, Target: id, Detail: detail}
	k := storage.APIKey{ID: id, AppID: found.ID, Kind: kind, SecretCiphertext: sealed, CreatedAt: a.now()}
	if err := a.store.CreateAPIKey(ctx, k, audit); err != nil {
		return NewKey{}, err
	}
	if err := a.followCatalog(ctx); err != nil {
		return NewKey{}, err
	}
	return NewKey{App: found.ID, APIKey: id, Secret: sec, Kind: kind}, nil
}

// ListAPIKeys lists the keys of an app (by id or name), or of every app.
func (a *Authority) ListAPIKeys(ctx context.Context, app string) ([]APIKey, error) {
	id := ""
	if app != "" {
		found, err := a.FindApp(ctx, app)
		if err != nil {
			return nil, err
		}
		id = found.ID
	}
	keys, err := a.store.ListAPIKeys(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]APIKey, len(keys))
	for i, k := range keys {
		out[i] = APIKey{ID: k.ID, AppID: k.AppID, Kind: k.Kind, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}
	}
	return out, nil
}

// RevokeAPIKey revokes a key; every token it minted stops verifying.
func (a *Authority) RevokeAPIKey(ctx context.Context, by Principal, id string) error {
	actor, err := by.operator()
	if err != nil {
		return err
	}
	now := a.now()
	audit := &storage.AuditEntry{Actor: actor, Action: "key.revoke", Target: id}
	if k, err := a.store.GetAPIKey(ctx, id); err == nil {
		audit.AppID = k.AppID
	}
	r, err := a.store.RevokeAPIKey(ctx, id, now, a.revocationExpiry(now), audit)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return &NotFoundError{What: "api key", Name: id}
	case errors.Is(err, storage.ErrConflict):
		return &ConflictError{Detail: fmt.Sprintf("api key %q is already revoked", id)}
	case err != nil:
		return err
	}
	a.applyOwn(r)
	a.markRevokedKeys([]storage.Revocation{r})
	return nil
}

// SetRole creates or replaces an app's custom role.
func (a *Authority) SetRole(ctx context.Context, by Principal, app, name string, perms []string, rank int) (access.Role, error) {
	actor, err := by.operator()
	if err != nil {
		return access.Role{}, err
	}
	found, err := a.FindApp(ctx, app)
	if err != nil {
		return access.Role{}, err
	}
	set, err := access.ParseSet(perms)
	if err != nil {
		return access.Role{}, err
	}
	role := access.Role{Name: name, Permissions: set, Rank: rank}
	if err := access.ValidateCustom(role); err != nil {
		return access.Role{}, err
	}
	detail, _ := json.Marshal(map[string]any{"permissions": set.Names(), "rank": rank})
	audit := &storage.AuditEntry{Actor: actor, Action: "role.set", AppID: found.ID, Target: name, Detail: detail}
	if err := a.store.PutRole(ctx, storage.Role{AppID: found.ID, Name: name, Permissions: set.Names(), Rank: rank, UpdatedAt: a.now()}, audit); err != nil {
		return access.Role{}, err
	}
	return role, a.followCatalog(ctx)
}

// ListRoles returns the built-in roles and an app's custom roles.
func (a *Authority) ListRoles(ctx context.Context, app string) ([]access.Role, error) {
	found, err := a.FindApp(ctx, app)
	if err != nil {
		return nil, err
	}
	if err := a.followCatalog(ctx); err != nil {
		return nil, err
	}
	c, err := a.catalog(found.ID)
	if err != nil {
		return nil, err
	}
	return c.Roles(), nil
}

// Caller is an authenticated API key.
type Caller struct {
	KeyID string
	AppID string
	Kind  access.KeyKind
}

// Actor names the caller in the audit log.
func (c Caller) Actor() string { return "api_key:" + c.KeyID }

// Authenticate checks API key credentials in constant time.
func (a *Authority) Authenticate(keyID, sec string) (Caller, error) {
	e, ok := a.liveKey(keyID)
	if !ok || !secret.Equal([]byte(sec), e.secret) {
		return Caller{}, ErrUnauthenticated
	}
	return Caller{KeyID: keyID, AppID: e.key.AppID, Kind: e.kind}, nil
}
