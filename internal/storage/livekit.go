package storage

import (
	"context"
	"fmt"
	"time"
)

// LiveKitProject is the LiveKit deployment an app's rooms run on: where
// its server answers and the API key and secret that sign its tokens, its
// server API calls and its webhooks.
type LiveKitProject struct {
	// AppID is the app the project serves; the app must exist. An app has
	// at most one project.
	AppID string
	// URL is the LiveKit server's address, as clients connect to it.
	URL string
	// APIKey is the LiveKit API key, unique across apps: webhooks name it,
	// and it tells which app they are for.
	APIKey string
	// SecretCiphertext is the encrypted LiveKit API secret, opaque to the
	// store.
	SecretCiphertext []byte
	// UpdatedAt is when the project was last put.
	UpdatedAt time.Time
}

// Validate reports ErrInvalid if the project lacks an app, a URL, an API
// key or a secret.
func (p LiveKitProject) Validate() error {
	if p.AppID == "" || p.URL == "" || p.APIKey == "" || len(p.SecretCiphertext) == 0 {
		return fmt.Errorf("livekit project needs an app, a url, an api key and a secret: %w", ErrInvalid)
	}
	return nil
}

// LiveKitProjects stores the LiveKit project of each app.
type LiveKitProjects interface {
	// PutLiveKitProject creates the app's project or replaces it. Unknown
	// app: ErrNotFound; an API key another app's project uses:
	// ErrAlreadyExists.
	PutLiveKitProject(ctx context.Context, p LiveKitProject, audit *AuditEntry) error
	// GetLiveKitProject returns the project of an app, or ErrNotFound.
	GetLiveKitProject(ctx context.Context, appID string) (LiveKitProject, error)
	// ListLiveKitProjects returns every app's project, ordered by app.
	ListLiveKitProjects(ctx context.Context) ([]LiveKitProject, error)
	// DeleteLiveKitProject removes the project of an app, or reports
	// ErrNotFound if it has none.
	DeleteLiveKitProject(ctx context.Context, appID string, audit *AuditEntry) error
}
