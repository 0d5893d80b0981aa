package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/stagedoor/stagedoor/internal/storage"
)

const roleColumns = `app_id, name, permissions, rank, updated_at`

// PutRole implements storage.Roles.
func (s *Store) PutRole(ctx context.Context, role storage.Role, audit *storage.AuditEntry) error {
	if err := role.Validate(); err != nil {
		return err
	}
	perms := role.Permissions
	if perms == nil {
		perms = []string{}
	}
	return s.write(ctx, audit, func(tx pgx.Tx) ([]storage.Change, error) {
		if err := requireApp(ctx, tx, role.AppID); err != nil {
			return nil, err
		}
		_, err := tx.Exec(ctx, `INSERT INTO roles (`+roleColumns+`) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (app_id, name) DO UPDATE SET
				permissions = excluded.permissions, rank = excluded.rank, updated_at = excluded.updated_at`,
			role.AppID, role.Name, perms, role.Rank, stamp(orNow(role.UpdatedAt)))
		if err != nil {
			return nil, fail("put role", err)
		}
		return []storage.Change{{Kind: storage.ChangeRole, AppID: role.AppID}}, nil
	})
}

// GetRole implements storage.Roles.
func (s *Store) GetRole(ctx context.Context, appID, name string) (storage.Role, error) {
	r, err := scanRole(s.pool.QueryRow(ctx, `SELECT `+roleColumns+` FROM roles WHERE app_id = $1 AND name = $2`, appID, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.Role{}, fmt.Errorf("role %q of app %q: %w", name, appID, storage.ErrNotFound)
	}
	if err != nil {
		return storage.Role{}, fail("get role", err)
	}
	return r, nil
}

// ListRoles implements storage.Roles.
func (s *Store) ListRoles(ctx context.Context, appID string) ([]storage.Role, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+roleColumns+` FROM roles WHERE app_id = $1 ORDER BY name`, appID)
	return collect(rows, err, scanRole)
}

// DeleteRole implements storage.Roles.
func (s *Store) DeleteRole(ctx context.Context, appID, name string, audit *storage.AuditEntry) error {
	return s.write(ctx, audit, func(tx pgx.Tx) ([]storage.Change, error) {
		tag, err := tx.Exec(ctx, `DELETE FROM roles WHERE app_id = $1 AND name = $2`, appID, name)
		if err != nil {
			return nil, fail("delete role", err)
		}
		if tag.RowsAffected() == 0 {
			return nil, fmt.Errorf("role %q of app %q: %w", name, appID, storage.ErrNotFound)
		}
		return []storage.Change{{Kind: storage.ChangeRole, AppID: appID}}, nil
	})
}

func scanRole(row scanner) (storage.Role, error) {
	var r storage.Role
	if err := row.Scan(&r.AppID, &r.Name, &r.Permissions, &r.Rank, &r.UpdatedAt); err != nil {
		return storage.Role{}, err
	}
	r.UpdatedAt = r.UpdatedAt.UTC()
	return r, nil
}
