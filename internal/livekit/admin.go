package livekit

import (
	"context"
	"errors"
	"time"

	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// The admin API's use cases of an app's LiveKit project, open to the
// operators of the deployment and to the app's owner, as the other admin
// use cases are (authority.AppOf checks who may manage which app). A
// project is shown without its secret, which is only ever written.

// ProjectView is an app's LiveKit project as the admin API shows it:
// never its secret.
type ProjectView struct {
	App, URL, APIKey string
	UpdatedAt        time.Time
}

// ProjectOf returns the LiveKit project of app to by.
func (i *Integration) ProjectOf(ctx context.Context, by authority.Principal, app string) (ProjectView, error) {
	found, err := i.auth.AppOf(ctx, by, app)
	if err != nil {
		return ProjectView{}, err
	}
	p, err := i.store.GetLiveKitProject(ctx, found.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return ProjectView{}, &authority.NotFoundError{What: "LiveKit project of app", Name: found.Name}
	}
	if err != nil {
		return ProjectView{}, err
	}
	return ProjectView{App: p.AppID, URL: p.URL, APIKey: p.APIKey, UpdatedAt: p.UpdatedAt}, nil
}

// SetProjectIn makes p the LiveKit project of app on behalf of by, as
// SetProject does, and returns it as stored, without its secret.
func (i *Integration) SetProjectIn(ctx context.Context, by authority.Principal, app string, p Project) (ProjectView, error) {
	found, err := i.auth.AppOf(ctx, by, app)
	if err != nil {
		return ProjectView{}, err
	}
	if err := SetProject(ctx, i.store, i.box, by.Operator, found.ID, p); err != nil {
		return ProjectView{}, err
	}
	return i.ProjectOf(ctx, by, found.ID)
}

// RemoveProjectIn removes the LiveKit project of app on behalf of by:
// its rooms are no longer enforced, its webhooks are refused and no
// LiveKit token of the app is minted until a project is set again.
func (i *Integration) RemoveProjectIn(ctx context.Context, by authority.Principal, app string) error {
	found, err := i.auth.AppOf(ctx, by, app)
	if err != nil {
		return err
	}
	return RemoveProject(ctx, i.store, by.Operator, found.ID, found.Name)
}
