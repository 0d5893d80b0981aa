package storage

import (
	"context"
	"fmt"
	"time"
)

// DefaultSessionPolicy is the session policy of an app created without one.
const DefaultSessionPolicy = "continuous"

// App is a partner application: the unit that owns API keys, roles and rooms.
type App struct {
	// ID identifies the app; the caller generates it.
	ID string
	// Name is unique across apps.
	Name string
	// SessionPolicy says how sessions of the app's users are checked; an
	// empty value is stored as DefaultSessionPolicy.
	SessionPolicy string
	// CreatedAt is when the app was created.
	CreatedAt time.Time
}

// Validate reports ErrInvalid if the app lacks an ID or a name.
func (a App) Validate() error {
	if a.ID == "" || a.Name == "" {
		return fmt.Errorf("app needs an id and a name: %w", ErrInvalid)
	}
	return nil
}

// Apps stores partner applications.
type Apps interface {
	// CreateApp stores a new app. It returns ErrAlreadyExists if an app with
	// the same ID or name exists.
	CreateApp(ctx context.Context, app App, audit *AuditEntry) error
	// GetApp returns the app with the given ID, or ErrNotFound.
	GetApp(ctx context.Context, id string) (App, error)
	// GetAppByName returns the app with the given name, or ErrNotFound.
	GetAppByName(ctx context.Context, name string) (App, error)
	// ListApps returns every app, ordered by name.
	ListApps(ctx context.Context) ([]App, error)
}
