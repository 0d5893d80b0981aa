package sqldata

import (
	"context"
	"fmt"

	"github.com/stagedoor/stagedoor/internal/storage"
)

const roleColumns = `app_id, name, permissions, rank, updated_at`

// PutRole implements storage.Roles.
func (s Store) PutRole(ctx context.Context, role storage.Role, audit *storage.AuditEntry) error {
	if err := role.Validate(); err != nil {
		return err
	}
	return s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		if err := requireApp(ctx, s.d, tx, role.AppID); err != nil {
			return nil, err
		}
		_, err := tx.Exec(ctx, `INSERT INTO roles (`+roleColumns+`) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (app_id, name) DO UPDATE SET
				permissions = excluded.permissions, rank = excluded.rank, updated_at = excluded.updated_at`,
			role.AppID, role.Name, s.d.Names(role.Permissions), role.Rank, s.d.Time(orNow(role.UpdatedAt)))
		if err != nil {
			return nil, s.d.Fail("put role", err)
		}
		return s.changedOnly(ctx, tx, storage.ChangeRole, role.AppID, role.Name)
	})
}

// GetRole implements storage.Roles.
func (s Store) GetRole(ctx context.Context, appID, name string) (storage.Role, error) {
	row := s.db.QueryRow(ctx, `SELECT `+roleColumns+` FROM roles WHERE app_id = $1 AND name = $2`, appID, name)
	return one(s.d, "get role", row, s.scanRole, "role %q of app %q", name, appID)
}

// ListRoles implements storage.Roles.
func (s Store) ListRoles(ctx context.Context, appID string) ([]storage.Role, error) {
	rows, err := s.db.Query(ctx, `SELECT `+roleColumns+` FROM roles
		WHERE $1 = '' OR app_id = $1 ORDER BY app_id, name`, appID)
	return collect(s.d, "list roles", rows, err, s.scanRole)
}

// DeleteRole implements storage.Roles.
func (s Store) DeleteRole(ctx context.Context, appID, name string, audit *storage.AuditEntry) error {
	return s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		n, err := tx.Exec(ctx, `DELETE FROM roles WHERE app_id = $1 AND name = $2`, appID, name)
		if err != nil {
			return nil, s.d.Fail("delete role", err)
		}
		if n == 0 {
			return nil, fmt.Errorf("role %q of app %q: %w", name, appID, storage.ErrNotFound)
		}
		return s.changedOnly(ctx, tx, storage.ChangeRole, appID, name)
	})
}

func (s Store) scanRole(row Row) (storage.Role, error) {
	var r storage.Role
	err := row.Scan(&r.AppID, &r.Name, s.d.ScanNames(&r.Permissions), &r.Rank, s.d.ScanTime(&r.UpdatedAt))
	return r, err
}
