package storage

import "context"

// CatalogChange tells that an entry of the catalog changed: an app, an API
// key, a custom role, or the signing keys as a whole. It names the entry,
// not what became of it: readers read the entry itself.
type CatalogChange struct {
	// Seq numbers the change: strictly increasing in commit order.
	Seq int64
	// Kind is ChangeApp, ChangeAPIKey, ChangeRole or ChangeSigningKey.
	Kind ChangeKind
	// AppID is the app of an app, API key or role; empty for the signing
	// keys.
	AppID string
	// Name is the API key's ID or the role's name; empty for an app and
	// for the signing keys.
	Name string
}

// CatalogChanges numbers the changes to apps, API keys, roles and signing
// keys, so that a reader holding them in memory reads again only what
// changed. Every write to the catalog records its change in its own
// transaction. Only each entry's latest change is kept: a reader that
// remembers the highest Seq it has read and asks for the changes after it
// learns of every entry changed since, once each.
type CatalogChanges interface {
	// CatalogVersion returns the Seq of the latest catalog change, zero
	// if there is none. A reader that takes it before reading the whole
	// catalog misses no change committed after.
	CatalogVersion(ctx context.Context) (int64, error)
	// CatalogChanges returns the latest change of each entry changed after
	// the change numbered after, in Seq order, at most limit of them (all
	// for limit zero or less).
	CatalogChanges(ctx context.Context, after int64, limit int) ([]CatalogChange, error)
}
