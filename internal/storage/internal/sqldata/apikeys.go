package sqldata

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

const apiKeyColumns = `id, app_id, kind, secret_ciphertext, created_at, revoked_at`

// CreateAPIKey implements storage.APIKeys.
func (s Store) CreateAPIKey(ctx context.Context, key storage.APIKey, audit *storage.AuditEntry) error {
	if err := key.Validate(); err != nil {
		return err
	}
	return s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		if err := requireApp(ctx, s.d, tx, key.AppID); err != nil {
			return nil, err
		}
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			key.ID, key.AppID, string(key.Kind), key.SecretCiphertext, s.d.Time(orNow(key.CreatedAt)), s.d.NullTime(key.RevokedAt))
		if s.d.IsUnique(err) {
			return nil, fmt.Errorf("api key %q: %w", key.ID, storage.ErrAlreadyExists)
		}
		if err != nil {
			return nil, s.d.Fail("create api key", err)
		}
		return s.changedOnly(ctx, tx, storage.ChangeAPIKey, key.AppID, key.ID)
	})
}

// GetAPIKey implements storage.APIKeys.
func (s Store) GetAPIKey(ctx context.Context, id string) (storage.APIKey, error) {
	row := s.db.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = $1`, id)
	return one(s.d, "get api key", row, s.scanAPIKey, "api key %q", id)
}

// ListAPIKeys implements storage.APIKeys.
func (s Store) ListAPIKeys(ctx context.Context, appID string) ([]storage.APIKey, error) {
	rows, err := s.db.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE $1 = '' OR app_id = $1 ORDER BY created_at, id`, appID)
	return collect(s.d, "list api keys", rows, err, s.scanAPIKey)
}

// RevokeAPIKey implements storage.APIKeys. Revoking is conditional on the
// key being live, so of concurrent revocations exactly one wins.
func (s Store) RevokeAPIKey(ctx context.Context, id string, now, tokensExpireBy time.Time, audit *storage.AuditEntry) (storage.Revocation, error) {
	now = orNow(now)
	var rev storage.Revocation
	err := s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		var appID string
		err := tx.QueryRow(ctx, `UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING app_id`,
			id, s.d.Time(now)).Scan(&appID)
		if errors.Is(err, sql.ErrNoRows) {
			found, err := exists(ctx, s.d, tx, `SELECT 1 FROM api_keys WHERE id = $1`, id)
			if err != nil {
				return nil, err
			}
			if found {
				return nil, fmt.Errorf("api key %q already revoked: %w", id, storage.ErrConflict)
			}
			return nil, fmt.Errorf("api key %q: %w", id, storage.ErrNotFound)
		}
		if err != nil {
			return nil, s.d.Fail("revoke api key", err)
		}
		rev, _, err = s.addRevocation(ctx, tx, storage.Revocation{
			AppID: appID, Kind: storage.RevocationAPIKey, Value: id,
			IssuedBefore: now, CreatedAt: now, ExpiresAt: tokensExpireBy,
		})
		if err != nil {
			return nil, err
		}
		c, err := s.changed(ctx, tx, storage.ChangeAPIKey, appID, id)
		if err != nil {
			return nil, err
		}
		return []storage.Change{c, {Kind: storage.ChangeRevocation, AppID: appID, Cursor: rev.Seq}}, nil
	})
	return rev, err
}

func (s Store) scanAPIKey(row Row) (storage.APIKey, error) {
	var k storage.APIKey
	err := row.Scan(&k.ID, &k.AppID, (*string)(&k.Kind), &k.SecretCiphertext, s.d.ScanTime(&k.CreatedAt), s.d.ScanTime(&k.RevokedAt))
	return k, err
}
