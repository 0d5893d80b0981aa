package sqldata

import (
	"context"
	"fmt"

	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/internal/roomdata"
)

const appColumns = `id, name, session_policy, created_at`

// CreateApp implements storage.Apps.
func (s Store) CreateApp(ctx context.Context, app storage.App, audit *storage.AuditEntry) error {
	if err := app.Validate(); err != nil {
		return err
	}
	if app.SessionPolicy == "" {
		app.SessionPolicy = storage.DefaultSessionPolicy
	}
	return s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		_, err := tx.Exec(ctx, `INSERT INTO apps (`+appColumns+`) VALUES ($1, $2, $3, $4)`,
			app.ID, app.Name, app.SessionPolicy, s.d.Time(orNow(app.CreatedAt)))
		if s.d.IsUnique(err) {
			return nil, fmt.Errorf("app %q (%s): %w", app.ID, app.Name, storage.ErrAlreadyExists)
		}
		if err != nil {
			return nil, s.d.Fail("create app", err)
		}
		return s.changedOnly(ctx, tx, storage.ChangeApp, app.ID, "")
	})
}

// GetApp implements storage.Apps.
func (s Store) GetApp(ctx context.Context, id string) (storage.App, error) {
	return s.getApp(ctx, `id`, id)
}

// GetAppByName implements storage.Apps.
func (s Store) GetAppByName(ctx context.Context, name string) (storage.App, error) {
	return s.getApp(ctx, `name`, name)
}

// getApp returns the app whose column key holds value.
func (s Store) getApp(ctx context.Context, key, value string) (storage.App, error) {
	row := s.db.QueryRow(ctx, `SELECT `+appColumns+` FROM apps WHERE `+key+` = $1`, value)
	return one(s.d, "get app", row, s.scanApp, "app %q", value)
}

// ListApps implements storage.Apps.
func (s Store) ListApps(ctx context.Context) ([]storage.App, error) {
	rows, err := s.db.Query(ctx, `SELECT `+appColumns+` FROM apps ORDER BY name`)
	return collect(s.d, "list apps", rows, err, s.scanApp)
}

func (s Store) scanApp(row Row) (storage.App, error) {
	var a storage.App
	err := row.Scan(&a.ID, &a.Name, &a.SessionPolicy, s.d.ScanTime(&a.CreatedAt))
	return a, err
}

// SetSessionPolicy implements storage.SessionPolicies.
func (s Store) SetSessionPolicy(ctx context.Context, appID, policy string, audit *storage.AuditEntry) error {
	if err := roomdata.CheckPolicy(policy); err != nil {
		return err
	}
	return s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		n, err := tx.Exec(ctx, `UPDATE apps SET session_policy = $1 WHERE id = $2`, policy, appID)
		if err != nil {
			return nil, s.d.Fail("set session policy", err)
		}
		if n == 0 {
			return nil, fmt.Errorf("app %q: %w", appID, storage.ErrNotFound)
		}
		return s.changedOnly(ctx, tx, storage.ChangeApp, appID, "")
	})
}
