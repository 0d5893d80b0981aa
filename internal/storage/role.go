package storage

import (
	"context"
	"fmt"
	"time"
)

// Role is a custom role an app defines: a named set of permissions.
type Role struct {
	// AppID is the app that defines the role; the app must exist.
	AppID string
	// Name is unique within the app.
	Name string
	// Permissions are the permissions the role grants.
	Permissions []string
	// Rank orders roles by privilege; its meaning is the caller's.
	Rank int
	// UpdatedAt is when the role was last put.
	UpdatedAt time.Time
}

// Validate reports ErrInvalid if the role lacks an app or a name.
func (r Role) Validate() error {
	if r.AppID == "" || r.Name == "" {
		return fmt.Errorf("role needs an app and a name: %w", ErrInvalid)
	}
	return nil
}

// Roles stores custom roles.
type Roles interface {
	// PutRole creates the role or replaces the one with the same app and
	// name. It returns ErrNotFound if the app does not exist.
	PutRole(ctx context.Context, role Role, audit *AuditEntry) error
	// GetRole returns one role of an app, or ErrNotFound.
	GetRole(ctx context.Context, appID, name string) (Role, error)
	// ListRoles returns the roles of an app, or of every app if appID is
	// empty, ordered by app and name.
	ListRoles(ctx context.Context, appID string) ([]Role, error)
	// DeleteRole deletes one role of an app, or returns ErrNotFound.
	DeleteRole(ctx context.Context, appID, name string, audit *AuditEntry) error
}
