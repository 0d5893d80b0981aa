package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
)

const apiKeyColumns = `id, app_id, kind, secret_ciphertext, created_at, revoked_at`

// CreateAPIKey implements storage.APIKeys.
func (s *Store) CreateAPIKey(ctx context.Context, key storage.APIKey, audit *storage.AuditEntry) error {
	if err := key.Validate(); err != nil {
		return err
	}
	return s.write(ctx, audit, func(tx pgx.Tx) ([]storage.Change, error) {
		if err := requireApp(ctx, tx, key.AppID); err != nil {
			return nil, err
		}
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			key.ID, key.AppID, string(key.Kind), key.SecretCiphertext, stamp(orNow(key.CreatedAt)), nullStamp(key.RevokedAt))
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
	k, err := scanAPIKey(s.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.APIKey{}, fmt.Errorf("api key %q: %w", id, storage.ErrNotFound)
	}
	if err != nil {
		return storage.APIKey{}, fail("get api key", err)
	}
	return k, nil
}

// ListAPIKeys implements storage.APIKeys.
func (s *Store) ListAPIKeys(ctx context.Context, appID string) ([]storage.APIKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE $1 = '' OR app_id = $1 ORDER BY created_at, id`, appID)
	return collect(rows, err, scanAPIKey)
}

// RevokeAPIKey implements storage.APIKeys.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, now, tokensExpireBy time.Time, audit *storage.AuditEntry) (storage.Revocation, error) {
	now = orNow(now)
	var rev storage.Revocation
	err := s.write(ctx, audit, func(tx pgx.Tx) ([]storage.Change, error) {
		var appID string
		err := tx.QueryRow(ctx, `UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING app_id`,
			id, stamp(now)).Scan(&appID)
		if errors.Is(err, pgx.ErrNoRows) {
			found, err := exists(ctx, tx, `SELECT 1 FROM api_keys WHERE id = $1`, id)
			if err != nil {
				return nil, err
			}
			if found {
				return nil, fmt.Errorf("api key %q already revoked: %w", id, storage.ErrConflict)
			}
			return nil, fmt.Errorf("api key %q: %w", id, storage.ErrNotFound)
		}
		if err != nil {
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
	var revoked *time.Time
	if err := row.Scan(&k.ID, &k.AppID, &kind, &k.SecretCiphertext, &k.CreatedAt, &revoked); err != nil {
		return storage.APIKey{}, err
	}
	k.Kind = access.KeyKind(kind)
	k.CreatedAt = k.CreatedAt.UTC()
	k.RevokedAt = fromNull(revoked)
	return k, nil
}
