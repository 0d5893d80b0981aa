package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
		found, err := exists(ctx, tx, `SELECT 1 FROM api_keys WHERE id = ? AND app_id = ? AND revoked_at IS NULL`, tok.APIKeyID, tok.AppID)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, fmt.Errorf("live api key %q of app %q: %w", tok.APIKeyID, tok.AppID, storage.ErrNotFound)
		}
		return nil, insertRefreshToken(ctx, tx, tok)
	})
}

// insertRefreshToken stores tok and its rooms in tx.
func insertRefreshToken(ctx context.Context, tx *sql.Tx, tok storage.RefreshToken) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (`+refreshTokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tok.IDHash, tok.FamilyID, tok.AppID, tok.APIKeyID, tok.Subject, tok.Grants,
		millis(orNow(tok.CreatedAt)), millis(tok.ExpiresAt), nullMillis(tok.UsedAt))
	if isUnique(err) {
		return fmt.Errorf("refresh token: %w", storage.ErrAlreadyExists)
	}
	if err != nil {
		return fail("create refresh token", err)
	}
	for _, room := range tok.Rooms {
		if _, err := tx.ExecContext(ctx, `INSERT INTO refresh_token_rooms (id_hash, app_id, room) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			tok.IDHash, tok.AppID, room); err != nil {
			return fail("create refresh token", err)
		}
	}
	return nil
}

// GetRefreshToken implements storage.RefreshTokens.
func (s *Store) GetRefreshToken(ctx context.Context, idHash []byte) (storage.RefreshToken, error) {
	return getRefreshToken(s.db.QueryRowContext(ctx, selectRefreshToken, idHash))
}

// selectRefreshToken selects the refresh token whose hash is its argument,
// with its rooms as a JSON array.
const selectRefreshToken = `SELECT ` + refreshTokenColumns + `,
	(SELECT json_group_array(room) FROM refresh_token_rooms r WHERE r.id_hash = t.id_hash)
	FROM refresh_tokens t WHERE id_hash = ?`

// getRefreshToken reads the token selectRefreshToken found.
func getRefreshToken(row *sql.Row) (storage.RefreshToken, error) {
	tok, err := scanRefreshToken(row)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.RefreshToken{}, fmt.Errorf("refresh token: %w", storage.ErrNotFound)
	}
	if err != nil {
		return storage.RefreshToken{}, fail("get refresh token", err)
	}
	return tok, nil
}

// RotateRefreshToken implements storage.RefreshTokens. Write transactions
// run one at a time, so the token read here is the token as every other
// rotation and every revocation left it.
func (s *Store) RotateRefreshToken(ctx context.Context, idHash []byte, next storage.RefreshToken, now time.Time) (storage.RefreshToken, error) {
	now = orNow(now)
	var tok storage.RefreshToken
	var verdict error
	err := s.write(ctx, nil, func(tx *sql.Tx) ([]storage.Change, error) {
		var err error
		tok, err = getRefreshToken(tx.QueryRowContext(ctx, selectRefreshToken, idHash))
		if err != nil {
			return nil, err
		}
		switch {
		case !tok.UsedAt.IsZero():
			verdict = storage.ErrReused
			return nil, nil
		case !now.Before(tok.ExpiresAt):
			verdict = storage.ErrExpired
			return nil, nil
		}
		next = tok.Successor(next)
		if err := next.Validate(); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET used_at = ? WHERE id_hash = ?`, millis(now), idHash); err != nil {
			return nil, fail("rotate refresh token", err)
		}
		tok.UsedAt = truncate(now)
		return nil, insertRefreshToken(ctx, tx, next)
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
		rev, _, err = addRevocation(ctx, tx, storage.Revocation{
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

// endRefreshTokens deletes the refresh tokens r matches, as
// storage.Revocations.AddRevocation says, and returns how many.
func endRefreshTokens(ctx context.Context, tx *sql.Tx, r storage.Revocation) (int, error) {
	var match string
	args := []any{r.AppID}
	switch r.Kind {
	case storage.RevocationUserID:
		match, args = `subject = ? AND created_at <= ?`, append(args, r.Value, millis(r.IssuedUpTo()))
	case storage.RevocationRoom:
		match = `created_at <= ? AND id_hash IN (SELECT id_hash FROM refresh_token_rooms WHERE app_id = ? AND room = ?)`
		args = append(args, millis(r.IssuedUpTo()), r.AppID, r.Value)
	case storage.RevocationIssuedBefore:
		match, args = `created_at < ?`, append(args, millis(r.IssuedBefore))
	case storage.RevocationAPIKey:
		match, args = `api_key_id = ?`, append(args, r.Value)
	case storage.RevocationRefreshFamily:
		match, args = `family_id = ?`, append(args, r.Value)
	default:
		return 0, nil
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE app_id = ? AND `+match, args...)
	if err != nil {
		return 0, fail("end refresh tokens", err)
	}
	return rowsAffected(res)
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

// scanRefreshToken scans the refresh token columns followed by its rooms
// as a JSON array.
func scanRefreshToken(row scanner) (storage.RefreshToken, error) {
	var t storage.RefreshToken
	var created, expires int64
	var used sql.NullInt64
	var rooms string
	if err := row.Scan(&t.IDHash, &t.FamilyID, &t.AppID, &t.APIKeyID, &t.Subject, &t.Grants, &created, &expires, &used, &rooms); err != nil {
		return storage.RefreshToken{}, err
	}
	if err := json.Unmarshal([]byte(rooms), &t.Rooms); err != nil {
		return storage.RefreshToken{}, err
	}
	if len(t.Rooms) == 0 {
		t.Rooms = nil
	}
	slices.Sort(t.Rooms)
	t.CreatedAt = fromMillis(created)
	t.ExpiresAt = fromMillis(expires)
	t.UsedAt = fromNullMillis(used)
	return t, nil
}
