package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

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
	permsJSON, err := json.Marshal(perms)
	if err != nil {
		return fmt.Errorf("role permissions: %w", err)
	}
	return s.write(ctx, audit, func(tx *sql.Tx) ([]storage.Change, error) {
		if err := requireApp(ctx, tx, role.AppID); err != nil {
			return nil, err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO roles (`+roleColumns+`) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (app_id, name) DO UPDATE SET
				permissions = excluded.permissions, rank = excluded.rank, updated_at = excluded.updated_at`,
			role.AppID, role.Name, string(permsJSON), role.Rank, millis(orNow(role.UpdatedAt)))
		if err != nil {
			return nil, fail("put role", err)
		}
		return []storage.Change{{Kind: storage.ChangeRole, AppID: role.AppID}}, nil
	})
}

// GetRole implements storage.Roles.
func (s *Store) GetRole(ctx context.Context, appID, name string) (storage.Role, error) {
	r, err := scanRole(s.db.QueryRowContext(ctx, `SELECT `+roleColumns+` FROM roles WHERE app_id = ? AND name = ?`, appID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return storage.Role{}, fmt.Errorf("role %q of app %q: %w", name, appID, storage.ErrNotFound)
	}
	if err != nil {
		return storage.Role{}, fail("get role", err)
	}
	return r, nil
}

// ListRoles implements storage.Roles.
func (s *Store) ListRoles(ctx context.Context, appID string) ([]storage.Role, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+roleColumns+` FROM roles WHERE app_id = ? ORDER BY name`, appID)
	if err != nil {
		return nil, fail("list roles", err)
	}
	return collect(rows, scanRole)
}

// DeleteRole implements storage.Roles.
func (s *Store) DeleteRole(ctx context.Context, appID, name string, audit *storage.AuditEntry) error {
	return s.write(ctx, audit, func(tx *sql.Tx) ([]storage.Change, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM roles WHERE app_id = ? AND name = ?`, appID, name)
		if err != nil {
			return nil, fail("delete role", err)
		}
		n, err := rowsAffected(res)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("role %q of app %q: %w", name, appID, storage.ErrNotFound)
		}
		return []storage.Change{{Kind: storage.ChangeRole, AppID: appID}}, nil
	})
}

func scanRole(row scanner) (storage.Role, error) {
	var r storage.Role
	var perms string
	var updated int64
	if err := row.Scan(&r.AppID, &r.Name, &perms, &r.Rank, &updated); err != nil {
		return storage.Role{}, err
	}
	if err := json.Unmarshal([]byte(perms), &r.Permissions); err != nil {
		return storage.Role{}, fmt.Errorf("role permissions: %w", err)
	}
	r.UpdatedAt = fromMillis(updated)
	return r, nil
}
