package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stagedoor/stagedoor/internal/storage"
)

const refreshTokenColumns = `id_hash, family_id, app_id, api_key_id, subject, grants, created_at, expires_at, used_at`

// CreateRefreshToken implements storage.RefreshTokens.
func (s *Store) CreateRefreshToken(ctx context.Context, tok storage.RefreshToken) error {
	if err := tok.Validate(); err != nil {
		return err
	}
	return s.write(ctx, nil, func(tx pgx.Tx) ([]storage.Change, error) {
		if err := requireApp(ctx, tx, tok.AppID); err != nil {
			return nil, err
		}
		found, err := exists(ctx, tx, `SELECT 1 FROM api_keys WHERE id = $1`, tok.APIKeyID)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, fmt.Errorf("api key %q: %w", tok.APIKeyID, storage.ErrNotFound)
		}
		_, err = tx.Exec(ctx, `INSERT INTO refresh_tokens (`+refreshTokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			tok.IDHash, tok.FamilyID, tok.AppID, tok.APIKeyID, tok.Subject, tok.Grants,
			stamp(orNow(tok.CreatedAt)), stamp(tok.ExpiresAt), nullStamp(tok.UsedAt))
		if isUnique(err) {
			return nil, fmt.Errorf("refresh token: %w", storage.ErrAlreadyExists)
		}
		if err != nil {
			return nil, fail("create refresh token", err)
		}
		return nil, nil
	})
}

// UseRefreshToken implements storage.RefreshTokens. Marking the token used
// is conditional on it being unused and unexpired, so of concurrent uses the
// first to lock the row wins and the others find it used.
func (s *Store) UseRefreshToken(ctx context.Context, idHash []byte, now time.Time) (storage.RefreshToken, error) {
	now = stamp(orNow(now))
	tok, err := scanRefreshToken(s.pool.QueryRow(ctx, `UPDATE refresh_tokens SET used_at = $2
		WHERE id_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING `+refreshTokenColumns, idHash, now))
	if err == nil {
		return tok, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return storage.RefreshToken{}, fail("use refresh token", err)
	}
	tok, err = scanRefreshToken(s.pool.QueryRow(ctx, `SELECT `+refreshTokenColumns+` FROM refresh_tokens WHERE id_hash = $1`, idHash))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return storage.RefreshToken{}, fmt.Errorf("refresh token: %w", storage.ErrNotFound)
	case err != nil:
		return storage.RefreshToken{}, fail("use refresh token", err)
	case !tok.UsedAt.IsZero():
		return tok, fmt.Errorf("refresh token of family %q: %w", tok.FamilyID, storage.ErrReused)
	case !now.Before(tok.ExpiresAt):
		return tok, fmt.Errorf("refresh token of family %q: %w", tok.FamilyID, storage.ErrExpired)
	default:
		// Created after the update looked for it.
		return storage.RefreshToken{}, fmt.Errorf("refresh token: %w", storage.ErrNotFound)
	}
}

// RevokeRefreshFamily implements storage.RefreshTokens.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, now, tokensExpireBy time.Time, audit *storage.AuditEntry) (storage.Revocation, error) {
	now = orNow(now)
	var rev storage.Revocation
	err := s.write(ctx, audit, func(tx pgx.Tx) ([]storage.Change, error) {
		rows, err := tx.Query(ctx, `DELETE FROM refresh_tokens WHERE family_id = $1 RETURNING app_id`, familyID)
		appIDs, err := collect(rows, err, func(row scanner) (string, error) {
			var id string
			return id, row.Scan(&id)
		})
		if err != nil {
			return nil, err
		}
		if len(appIDs) == 0 {
			return nil, fmt.Errorf("refresh family %q: %w", familyID, storage.ErrNotFound)
		}
		rev, err = addRevocation(ctx, tx, storage.Revocation{
			AppID: appIDs[0], Kind: storage.RevocationRefreshFamily, Value: familyID,
			IssuedBefore: now, CreatedAt: now, ExpiresAt: tokensExpireBy,
		})
		if err != nil {
			return nil, err
		}
		return []storage.Change{{Kind: storage.ChangeRevocation, AppID: rev.AppID, Cursor: rev.Seq}}, nil
	})
	return rev, err
}

// PruneRefreshTokens implements storage.RefreshTokens.
func (s *Store) PruneRefreshTokens(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM refresh_tokens WHERE expires_at <= $1`, stamp(now))
	if err != nil {
		return 0, fail("prune refresh tokens", err)
	}
	return int(tag.RowsAffected()), nil
}

func scanRefreshToken(row scanner) (storage.RefreshToken, error) {
	var t storage.RefreshToken
	var used *time.Time
	if err := row.Scan(&t.IDHash, &t.FamilyID, &t.AppID, &t.APIKeyID, &t.Subject, &t.Grants, &t.CreatedAt, &t.ExpiresAt, &used); err != nil {
		return storage.RefreshToken{}, err
	}
	t.CreatedAt = t.CreatedAt.UTC()
	t.ExpiresAt = t.ExpiresAt.UTC()
	t.UsedAt = fromNull(used)
	return t, nil
}
