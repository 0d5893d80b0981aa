package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/internal/roomdata"
)

const appColumns = `id, name, session_policy, created_at`

// CreateApp implements storage.Apps.
func (s *Store) CreateApp(ctx context.Context, app storage.App, audit *storage.AuditEntry) error {
	if err := app.Validate(); err != nil {
		return err
	}
	if app.SessionPolicy == "" {
		app.SessionPolicy = storage.DefaultSessionPolicy
	}
	return s.write(ctx, audit, func(tx pgx.Tx) ([]storage.Change, error) {
		_, err := tx.Exec(ctx, `INSERT INTO apps (`+appColumns+`) VALUES ($1, $2, $3, $4)`,
			app.ID, app.Name, app.SessionPolicy, stamp(orNow(app.CreatedAt)))
		if isUnique(err) {
			return nil, fmt.Errorf("app %q (%s): %w", app.ID, app.Name, storage.ErrAlreadyExists)
		}
		if err != nil {
			return nil, fail("create app", err)
		}
		return []storage.Change{{Kind: storage.ChangeApp, AppID: app.ID}}, nil
	})
}

// GetApp implements storage.Apps.
func (s *Store) GetApp(ctx context.Context, id string) (storage.App, error) {
	return s.getApp(ctx, `WHERE id = $1`, id)
}

// GetAppByName implements storage.Apps.
func (s *Store) GetAppByName(ctx context.Context, name string) (storage.App, error) {
	return s.getApp(ctx, `WHERE name = $1`, name)
}

func (s *Store) getApp(ctx context.Context, where, arg string) (storage.App, error) {
	a, err := scanApp(s.pool.QueryRow(ctx, `SELECT `+appColumns+` FROM apps `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.App{}, fmt.Errorf("app %q: %w", arg, storage.ErrNotFound)
	}
	if err != nil {
		return storage.App{}, fail("get app", err)
	}
	return a, nil
}

// ListApps implements storage.Apps.
func (s *Store) ListApps(ctx context.Context) ([]storage.App, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+appColumns+` FROM apps ORDER BY name`)
	return collect(rows, err, scanApp)
}

func scanApp(row scanner) (storage.App, error) {
	var a storage.App
	if err := row.Scan(&a.ID, &a.Name, &a.SessionPolicy, &a.CreatedAt); err != nil {
		return storage.App{}, err
	}
	a.CreatedAt = a.CreatedAt.UTC()
	return a, nil
}

// SetSessionPolicy implements storage.SessionPolicies.
func (s *Store) SetSessionPolicy(ctx context.Context, appID, policy string, audit *storage.AuditEntry) error {
	if err := roomdata.CheckPolicy(policy); err != nil {
		return err
	}
	return s.write(ctx, audit, func(tx pgx.Tx) ([]storage.Change, error) {
		tag, err := tx.Exec(ctx, `UPDATE apps SET session_policy = $1 WHERE id = $2`, policy, appID)
		if err != nil {
			return nil, fail("set session policy", err)
		}
		if tag.RowsAffected() == 0 {
			return nil, fmt.Errorf("app %q: %w", appID, storage.ErrNotFound)
		}
		return []storage.Change{{Kind: storage.ChangeApp, AppID: appID}}, nil
	})
}
