package storage

import "context"

// Storage is everything stagedoor keeps. Backends implement it; the conformance
// suite in package storagetest checks that they all behave alike.
type Storage interface {
	Apps
	APIKeys
	Roles
	SigningKeys
	Revocations
	RefreshTokens
	AuditLog
	Rooms
	SessionPolicies
	CatalogChanges
	LiveKitProjects
	ConsoleSessions
	ChangeFeed

	// Ping commits a small write, so that it fails, wrapping
	// ErrUnavailable, when the database cannot take writes now: unreachable,
	// read-only, out of space. A read alone would succeed in each case.
	Ping(ctx context.Context) error

	// Close releases the backend's resources and ends every change
	// subscription.
	Close() error
}

// ChangeFeed reports committed changes.
type ChangeFeed interface {
	// Changes subscribes to the changes committed from now on, by this node or
	// another one sharing the database. The channel is closed when ctx is done
	// or the store is closed. A consumer that falls behind receives a
	// ChangeResync in place of what it missed.
	Changes(ctx context.Context) (<-chan Change, error)
}
