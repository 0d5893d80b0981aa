package authority

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/token"
)

// The catalog in memory: apps, API keys and each app's roles, read whole
// at start and after changes may have been missed, and otherwise only the
// entries the store's catalog changes name, so that following it costs
// what changed, not how many apps there are.

// apiKeyEntry is an API key as the authority keeps it in memory: its secret
// opened once, and ready as an HS256 verification key.
type apiKeyEntry struct {
	key    storage.APIKey
	kind   access.KeyKind
	secret []byte
	hmac   *token.Key
}

func apiKeyAAD(id string) string { return "api_key:" + id }

// catalogPage is how many catalog changes are read at once. A backlog of a
// full page is read as the whole catalog instead: three queries cost less
// than a thousand.
const catalogPage = 1000

// reload reads everything the authority keeps in memory.
func (a *Authority) reload(ctx context.Context) error {
	a.loading.Lock()
	err := a.loadCatalog(ctx)
	a.loading.Unlock()
	if err != nil {
		return err
	}
	return a.syncRevocations(ctx)
}

// loadCatalog reads the signing keys and the whole catalog. The caller
// holds a.loading.
func (a *Authority) loadCatalog(ctx context.Context) error {
	// Taken first, the version may precede changes read below; they are
	// read again, to the same effect, by the next followCatalog.
	seq, err := a.store.CatalogVersion(ctx)
	if err != nil {
		return fmt.Errorf("load catalog: %w", err)
	}
	if err := a.loadSigningKeys(ctx); err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	apps, err := a.store.ListApps(ctx)
	if err != nil {
		return fmt.Errorf("load apps: %w", err)
	}
	keys, err := a.store.ListAPIKeys(ctx, "")
	if err != nil {
		return fmt.Errorf("load api keys: %w", err)
	}
	roles, err := a.store.ListRoles(ctx, "")
	if err != nil {
		return fmt.Errorf("load roles: %w", err)
	}
	byApp := make(map[string][]storage.Role)
	for _, r := range roles {
		byApp[r.AppID] = append(byApp[r.AppID], r)
	}
	appMap := make(map[string]storage.App, len(apps))
	catalogs := make(map[string]*access.Catalog, len(apps))
	for _, app := range apps {
		appMap[app.ID] = app
		if catalogs[app.ID], err = a.roleCatalog(app.ID, byApp[app.ID]); err != nil {
			return err
		}
	}
	keyMap := make(map[string]*apiKeyEntry, len(keys))
	for _, k := range keys {
		if keyMap[k.ID], err = a.keyEntry(k); err != nil {
			return err
		}
	}
	a.mu.Lock()
	a.apps, a.apiKeys, a.catalogs = appMap, keyMap, catalogs
	a.catalogMove()
	a.mu.Unlock()
	a.catalogSeq = seq
	return nil
}

// followCatalog reads the catalog entries changed since the last read, by
// this process or any other.
func (a *Authority) followCatalog(ctx context.Context) error {
	a.loading.Lock()
	defer a.loading.Unlock()
	changes, err := a.store.CatalogChanges(ctx, a.catalogSeq, a.catalogPage)
	switch {
	case err != nil:
		return fmt.Errorf("catalog changes: %w", err)
	case len(changes) == a.catalogPage:
		return a.loadCatalog(ctx)
	case len(changes) == 0:
		return nil
	}
	apps, roleApps, keys := set{}, set{}, set{}
	signing := false
	for _, c := range changes {
		switch c.Kind {
		case storage.ChangeApp:
			apps.add(c.AppID)
		case storage.ChangeAPIKey:
			keys.add(c.Name)
		case storage.ChangeRole:
			roleApps.add(c.AppID)
		case storage.ChangeSigningKey:
			signing = true
		}
	}
	if signing {
		if err := a.loadSigningKeys(ctx); err != nil {
			return fmt.Errorf("load signing keys: %w", err)
		}
	}
	appMap, err := a.readApps(ctx, apps)
	if err != nil {
		return err
	}
	for id := range appMap {
		if _, err := a.catalog(id); err != nil {
			roleApps.add(id)
		}
	}
	catalogs := make(map[string]*access.Catalog, len(roleApps))
	for id := range roleApps {
		roles, err := a.store.ListRoles(ctx, id)
		if err != nil {
			return fmt.Errorf("load roles: %w", err)
		}
		if catalogs[id], err = a.roleCatalog(id, roles); err != nil {
			return err
		}
	}
	keyMap, err := a.readAPIKeys(ctx, keys)
	if err != nil {
		return err
	}
	a.mu.Lock()
	maps.Copy(a.apps, appMap)
	maps.Copy(a.catalogs, catalogs)
	maps.Copy(a.apiKeys, keyMap)
	a.catalogMove()
	a.mu.Unlock()
	a.catalogSeq = changes[len(changes)-1].Seq
	return nil
}

// set is a set of IDs.
type set map[string]struct{}

func (s set) add(id string) { s[id] = struct{}{} }

// readApps reads the apps named in ids that exist.
func (a *Authority) readApps(ctx context.Context, ids set) (map[string]storage.App, error) {
	out := make(map[string]storage.App, len(ids))
	for id := range ids {
		app, err := a.store.GetApp(ctx, id)
		switch {
		case errors.Is(err, storage.ErrNotFound):
		case err != nil:
			return nil, fmt.Errorf("load app: %w", err)
		default:
			out[id] = app
		}
	}
	return out, nil
}

// readAPIKeys reads the API keys named in ids that exist, as entries.
func (a *Authority) readAPIKeys(ctx context.Context, ids set) (map[string]*apiKeyEntry, error) {
	out := make(map[string]*apiKeyEntry, len(ids))
	for id := range ids {
		k, err := a.store.GetAPIKey(ctx, id)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			continue
		case err != nil:
			return nil, fmt.Errorf("load api key: %w", err)
		}
		if out[id], err = a.keyEntry(k); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// keyEntry returns the entry of the stored key k: the one held already if
// k was not revoked since, else k with its secret opened.
func (a *Authority) keyEntry(k storage.APIKey) (*apiKeyEntry, error) {
	if e, ok := a.apiKey(k.ID); ok && e.key.RevokedAt.Equal(k.RevokedAt) {
		return e, nil
	}
	sec, err := a.box.Open(k.SecretCiphertext, apiKeyAAD(k.ID))
	if err != nil {
		return nil, fmt.Errorf("api key %s: %w", k.ID, err)
	}
	h, err := token.NewHMACKey(k.ID, sec, k.Kind)
	if err != nil {
		return nil, fmt.Errorf("api key %s: %w", k.ID, err)
	}
	return &apiKeyEntry{key: k, kind: k.Kind, secret: sec, hmac: h}, nil
}

// roleCatalog returns the built-in roles plus an app's stored custom roles.
// A stored role that is not a valid custom role is left out, with a
// warning: it cannot be used, and the others still can. Apps without
// custom roles share one catalog.
func (a *Authority) roleCatalog(app string, stored []storage.Role) (*access.Catalog, error) {
	if len(stored) == 0 {
		return a.builtins, nil
	}
	custom := make([]access.Role, 0, len(stored))
	for _, r := range stored {
		role, err := roleFromStore(r)
		if err != nil {
			a.log.Warn("skipping unusable custom role", "app", app, "role", r.Name, "err", err)
			continue
		}
		custom = append(custom, role)
	}
	c, err := access.NewCatalog(custom...)
	if err != nil {
		return nil, fmt.Errorf("roles of app %s: %w", app, err)
	}
	return c, nil
}

// roleFromStore returns a stored role as a custom role, checked.
func roleFromStore(r storage.Role) (access.Role, error) {
	perms, err := access.ParseSet(r.Permissions)
	if err != nil {
		return access.Role{}, err
	}
	role := access.Role{Name: r.Name, Permissions: perms, Rank: r.Rank}
	return role, access.ValidateCustom(role)
}

// markRevokedKeys applies API key revocations read from the revocation
// feed at once, before the key's own change is read.
func (a *Authority) markRevokedKeys(rs []storage.Revocation) {
	a.loading.Lock()
	defer a.loading.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range rs {
		if r.Kind != storage.RevocationAPIKey {
			continue
		}
		if e, ok := a.apiKeys[r.Value]; ok && !e.key.Revoked() {
			c := *e
			c.key.RevokedAt = r.CreatedAt
			a.apiKeys[r.Value] = &c
			a.catalogMove()
		}
	}
}

// catalogMove tells those waiting on CatalogChanged that the catalog in
// memory changed; a.mu is held.
func (a *Authority) catalogMove() {
	if a.catalogMoved != nil {
		close(a.catalogMoved)
		a.catalogMoved = nil
	}
}

// CatalogChanged returns a channel closed when the apps, API keys or roles
// this node holds in memory next change, by this process or as read from
// the store.
func (a *Authority) CatalogChanged() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.catalogMoved == nil {
		a.catalogMoved = make(chan struct{})
	}
	return a.catalogMoved
}

// catalog returns the roles an app can use.
func (a *Authority) catalog(appID string) (*access.Catalog, error) {
	a.mu.RLock()
	c, ok := a.catalogs[appID]
	a.mu.RUnlock()
	if !ok {
		return nil, &NotFoundError{What: "app", Name: appID}
	}
	return c, nil
}

func (a *Authority) app(id string) (storage.App, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	app, ok := a.apps[id]
	return app, ok
}

func (a *Authority) apiKey(id string) (*apiKeyEntry, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	e, ok := a.apiKeys[id]
	return e, ok
}

// liveKey returns the API key id if it exists and is not revoked: a key
// that may act.
func (a *Authority) liveKey(id string) (*apiKeyEntry, bool) {
	e, ok := a.apiKey(id)
	if !ok || e.key.Revoked() {
		return nil, false
	}
	return e, true
}

// refresh reads what changed in the store since the last read, by this
// process or any other: revocations first, so that no cached verdict
// outlives an API key revocation the catalog already shows, then catalog
// entries; and it drops signing keys whose publication ended.
func (a *Authority) refresh(ctx context.Context) error {
	if err := a.syncRevocations(ctx); err != nil {
		return err
	}
	if err := a.followCatalog(ctx); err != nil {
		return err
	}
	if a.keys.due(a.now()) {
		return a.loadSigningKeys(ctx)
	}
	return nil
}
