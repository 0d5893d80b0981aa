package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

const refreshTokenColumns = `id_hash, family_id, app_id, api_key_id, subject, grants, created_at, expires_at, used_at`

// CreateRefreshToken implements storage.RefreshTokens.
func (s *Store) CreateRefreshToken(ctx context.Context, tok storage.RefreshToken) error {
	if err := tok.Validate(); err != nil {
		return err
	}
	return s.write(ctx, nil, func(tx *sql.Tx) ([]storage.Change, error) {
		if err := requireApp(ctx, tx, tok.AppID); err != nil {
			return nil, err
		}
		found, err := exists(ctx, tx, `SELECT 1 FROM api_keys WHERE id = ?`, tok.APIKeyID)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, fmt.Errorf("api key %q: %w", tok.APIKeyID, storage.ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO refresh_tokens (`+refreshTokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			tok.IDHash, tok.FamilyID, tok.AppID, tok.APIKeyID, tok.Subject, tok.Grants,
			millis(orNow(tok.CreatedAt)), millis(tok.ExpiresAt), nullMillis(tok.UsedAt))
		if isUnique(err) {
			return nil, fmt.Errorf("refresh token: %w", storage.ErrAlreadyExists)
		}
		if err != nil {
			return nil, fail("create refresh token", err)
		}
		return nil, nil
	})
}

// UseRefreshToken implements storage.RefreshTokens.
func (s *Store) UseRefreshToken(ctx context.Context, idHash []byte, now time.Time) (storage.RefreshToken, error) {
	now = orNow(now)
	var tok storage.RefreshToken
	var verdict error
	err := s.write(ctx, nil, func(tx *sql.Tx) ([]storage.Change, error) {
		var err error
		tok, err = scanRefreshToken(tx.QueryRowContext(ctx, `SELECT `+refreshTokenColumns+` FROM refresh_tokens WHERE id_hash = ?`, idHash))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("refresh token: %w", storage.ErrNotFound)
		}
		if err != nil {
			return nil, fail("use refresh token", err)
		}
		switch {
		case !tok.UsedAt.IsZero():
			verdict = storage.ErrReused
			return nil, nil
		case !now.Before(tok.ExpiresAt):
			verdict = storage.ErrExpired
			return nil, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET used_at = ? WHERE id_hash = ?`, millis(now), idHash); err != nil {
			return nil, fail("use refresh token", err)
		}
		tok.UsedAt = truncate(now)
		return nil, nil
	})
	if err != nil {
		return storage.RefreshToken{}, err
	}
	if verdict != nil {
		return tok, fmt.Errorf("refresh token of family %q: %w", tok.FamilyID, verdict)
	}
	return tok, nil
}

// RevokeRefreshFamily implements storage.RefreshTokens.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, now, tokensExpireBy time.Time, audit *storage.AuditEntry) (storage.Revocation, error) {
	now = orNow(now)
	var rev storage.Revocation
	err := s.write(ctx, audit, func(tx *sql.Tx) ([]storage.Change, error) {
		var appID string
		err := tx.QueryRowContext(ctx, `SELECT app_id FROM refresh_tokens WHERE family_id = ? LIMIT 1`, familyID).Scan(&appID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("refresh family %q: %w", familyID, storage.ErrNotFound)
		}
		if err != nil {
			return nil, fail("revoke refresh family", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE family_id = ?`, familyID); err != nil {
			return nil, fail("revoke refresh family", err)
		}
		rev, err = addRevocation(ctx, tx, storage.Revocation{
			AppID: appID, Kind: storage.RevocationRefreshFamily, Value: familyID,
			IssuedBefore: now, CreatedAt: now, ExpiresAt: tokensExpireBy,
		})
		if err != nil {
			return nil, err
		}
		return []storage.Change{{Kind: storage.ChangeRevocation, AppID: appID, Cursor: rev.Seq}}, nil
	})
	return rev, err
}

// PruneRefreshTokens implements storage.RefreshTokens.
func (s *Store) PruneRefreshTokens(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.write(ctx, nil, func(tx *sql.Tx) ([]storage.Change, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE expires_at <= ?`, millis(now))
		if err != nil {
			return nil, fail("prune refresh tokens", err)
		}
		n, err = rowsAffected(res)
		return nil, err
	})
	return n, err
}

func scanRefreshToken(row scanner) (storage.RefreshToken, error) {
	var t storage.RefreshToken
	var created, expires int64
	var used sql.NullInt64
	if err := row.Scan(&t.IDHash, &t.FamilyID, &t.AppID, &t.APIKeyID, &t.Subject, &t.Grants, &created, &expires, &used); err != nil {
		return storage.RefreshToken{}, err
	}
	t.CreatedAt = fromMillis(created)
	t.ExpiresAt = fromMillis(expires)
	t.UsedAt = fromNullMillis(used)
	return t, nil
}
