package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
)

const apiKeyColumns = `id, app_id, kind, secret_ciphertext, created_at, revoked_at`

// CreateAPIKey implements storage.APIKeys.
func (s *Store) CreateAPIKey(ctx context.Context, key storage.APIKey, audit *storage.AuditEntry) error {
	if err := key.Validate(); err != nil {
		return err
	}
	return s.write(ctx, audit, func(tx *sql.Tx) ([]storage.Change, error) {
		if err := requireApp(ctx, tx, key.AppID); err != nil {
			return nil, err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
			key.ID, key.AppID, string(key.Kind), key.SecretCiphertext, millis(orNow(key.CreatedAt)), nullMillis(key.RevokedAt))
		if isUnique(err) {
			return nil, fmt.Errorf("api key %q: %w", key.ID, storage.ErrAlreadyExists)
		}
		if err != nil {
			return nil, fail("create api key", err)
		}
		return []storage.Change{{Kind: storage.ChangeAPIKey, AppID: key.AppID}}, nil
	})
}

// GetAPIKey implements storage.APIKeys.
func (s *Store) GetAPIKey(ctx context.Context, id string) (storage.APIKey, error) {
	k, err := scanAPIKey(s.db.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return storage.APIKey{}, fmt.Errorf("api key %q: %w", id, storage.ErrNotFound)
	}
	if err != nil {
		return storage.APIKey{}, fail("get api key", err)
	}
	return k, nil
}

// ListAPIKeys implements storage.APIKeys.
func (s *Store) ListAPIKeys(ctx context.Context, appID string) ([]storage.APIKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE ? = '' OR app_id = ? ORDER BY created_at, id`, appID, appID)
	if err != nil {
		return nil, fail("list api keys", err)
	}
	return collect(rows, scanAPIKey)
}

// RevokeAPIKey implements storage.APIKeys.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, now, tokensExpireBy time.Time, audit *storage.AuditEntry) (storage.Revocation, error) {
	now = orNow(now)
	var rev storage.Revocation
	err := s.write(ctx, audit, func(tx *sql.Tx) ([]storage.Change, error) {
		var appID string
		var revoked sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT app_id, revoked_at FROM api_keys WHERE id = ?`, id).Scan(&appID, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("api key %q: %w", id, storage.ErrNotFound)
		}
		if err != nil {
			return nil, fail("revoke api key", err)
		}
		if revoked.Valid {
			return nil, fmt.Errorf("api key %q already revoked: %w", id, storage.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ?`, millis(now), id); err != nil {
			return nil, fail("revoke api key", err)
		}
		rev, _, err = addRevocation(ctx, tx, storage.Revocation{
			AppID: appID, Kind: storage.RevocationAPIKey, Value: id,
			IssuedBefore: now, CreatedAt: now, ExpiresAt: tokensExpireBy,
		})
		if err != nil {
			return nil, err
		}
		return []storage.Change{
			{Kind: storage.ChangeAPIKey, AppID: appID},
			{Kind: storage.ChangeRevocation, AppID: appID, Cursor: rev.Seq},
		}, nil
	})
	return rev, err
}

func scanAPIKey(row scanner) (storage.APIKey, error) {
	var k storage.APIKey
	var kind string
	var created int64
	var revoked sql.NullInt64
	if err := row.Scan(&k.ID, &k.AppID, &kind, &k.SecretCiphertext, &created, &revoked); err != nil {
		return storage.APIKey{}, err
	}
	k.Kind = access.KeyKind(kind)
	k.CreatedAt = fromMillis(created)
	k.RevokedAt = fromNullMillis(revoked)
	return k, nil
}
