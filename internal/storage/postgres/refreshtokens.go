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

// lockRefreshTokens serialises, until tx ends, the app's refresh token
// writes with its revocations: creating and rotating tokens take the lock
// shared, revocations exclusive. A revocation's DELETE therefore starts
// after every token write it could miss has committed, and a token write
// that starts after a revocation reads what the revocation deleted. Row
// locks alone would not do: a statement in READ COMMITTED never sees rows
// inserted after it began.
func lockRefreshTokens(ctx context.Context, tx pgx.Tx, appID string, exclusive bool) error {
	lock := "pg_advisory_xact_lock_shared"
	if exclusive {
		lock = "pg_advisory_xact_lock"
	}
	_, err := tx.Exec(ctx, `SELECT `+lock+`(hashtextextended('stagedoor.refresh_tokens/' || current_schema() || '/' || $1, 0))`, appID)
	if err != nil {
		return fail("lock refresh tokens", err)
	}
	return nil
}

// CreateRefreshToken implements storage.RefreshTokens.
func (s *Store) CreateRefreshToken(ctx context.Context, tok storage.RefreshToken) error {
	if err := tok.Validate(); err != nil {
		return err
	}
	return s.write(ctx, nil, func(tx pgx.Tx) ([]storage.Change, error) {
		if err := requireApp(ctx, tx, tok.AppID); err != nil {
			return nil, err
		}
		if err := lockRefreshTokens(ctx, tx, tok.AppID, false); err != nil {
			return nil, err
		}
		found, err := exists(ctx, tx, `SELECT 1 FROM api_keys WHERE id = $1 AND app_id = $2 AND revoked_at IS NULL`, tok.APIKeyID, tok.AppID)
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
func insertRefreshToken(ctx context.Context, tx pgx.Tx, tok storage.RefreshToken) error {
	_, err := tx.Exec(ctx, `INSERT INTO refresh_tokens (`+refreshTokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		tok.IDHash, tok.FamilyID, tok.AppID, tok.APIKeyID, tok.Subject, tok.Grants,
		stamp(orNow(tok.CreatedAt)), stamp(tok.ExpiresAt), nullStamp(tok.UsedAt))
	if isUnique(err) {
		return fmt.Errorf("refresh token: %w", storage.ErrAlreadyExists)
	}
	if err != nil {
		return fail("create refresh token", err)
	}
	if len(tok.Rooms) == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, `INSERT INTO refresh_token_rooms (id_hash, app_id, room)
		SELECT $1, $2, room FROM unnest($3::text[]) AS room ON CONFLICT DO NOTHING`, tok.IDHash, tok.AppID, tok.Rooms)
	if err != nil {
		return fail("create refresh token", err)
	}
	return nil
}

// GetRefreshToken implements storage.RefreshTokens.
func (s *Store) GetRefreshToken(ctx context.Context, idHash []byte) (storage.RefreshToken, error) {
	tok, err := scanRefreshToken(s.pool.QueryRow(ctx, `SELECT `+refreshTokenColumns+`, `+refreshTokenRooms+` FROM refresh_tokens t WHERE id_hash = $1`, idHash))
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.RefreshToken{}, fmt.Errorf("refresh token: %w", storage.ErrNotFound)
	}
	if err != nil {
		return storage.RefreshToken{}, fail("get refresh token", err)
	}
	return tok, nil
}

// refreshTokenRooms selects the rooms of the refresh token t, sorted.
const refreshTokenRooms = `ARRAY(SELECT room FROM refresh_token_rooms r WHERE r.id_hash = t.id_hash ORDER BY room)`

// RotateRefreshToken implements storage.RefreshTokens. Marking the token
// used is conditional on it being unused and unexpired, so of concurrent
// rotations the first to lock the row wins and the others find it used.
func (s *Store) RotateRefreshToken(ctx context.Context, idHash []byte, next storage.RefreshToken, now time.Time) (storage.RefreshToken, error) {
	now = stamp(orNow(now))
	var tok storage.RefreshToken
	var verdict error
	err := s.write(ctx, nil, func(tx pgx.Tx) ([]storage.Change, error) {
		var appID string
		err := tx.QueryRow(ctx, `SELECT app_id FROM refresh_tokens WHERE id_hash = $1`, idHash).Scan(&appID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("refresh token: %w", storage.ErrNotFound)
		}
		if err != nil {
			return nil, fail("rotate refresh token", err)
		}
		if err := lockRefreshTokens(ctx, tx, appID, false); err != nil {
			return nil, err
		}
		tok, err = scanRefreshToken(tx.QueryRow(ctx, `UPDATE refresh_tokens t SET used_at = $2
			WHERE id_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING `+refreshTokenColumns+`, `+refreshTokenRooms, idHash, now))
		if errors.Is(err, pgx.ErrNoRows) {
			tok, err = scanRefreshToken(tx.QueryRow(ctx, `SELECT `+refreshTokenColumns+`, `+refreshTokenRooms+` FROM refresh_tokens t WHERE id_hash = $1`, idHash))
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				return nil, fmt.Errorf("refresh token: %w", storage.ErrNotFound)
			case err != nil:
				return nil, fail("rotate refresh token", err)
			case !tok.UsedAt.IsZero():
				verdict = storage.ErrReused
			default:
				verdict = storage.ErrExpired
			}
			return nil, nil
		}
		if err != nil {
			return nil, fail("rotate refresh token", err)
		}
		next = tok.Successor(next)
		if err := next.Validate(); err != nil {
			return nil, err
		}
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
	err := s.write(ctx, audit, func(tx pgx.Tx) ([]storage.Change, error) {
		var appID string
		err := tx.QueryRow(ctx, `SELECT app_id FROM refresh_tokens WHERE family_id = $1 LIMIT 1`, familyID).Scan(&appID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("refresh family %q: %w", familyID, storage.ErrNotFound)
		}
		if err != nil {
			return nil, fail("revoke refresh family", err)
		}
		var ended int
		rev, ended, err = addRevocation(ctx, tx, storage.Revocation{
			AppID: appID, Kind: storage.RevocationRefreshFamily, Value: familyID,
			IssuedBefore: now, CreatedAt: now, ExpiresAt: tokensExpireBy,
		})
		if err != nil {
			return nil, err
		}
		if ended == 0 {
			// Another revocation ended the family while this one waited.
			return nil, fmt.Errorf("refresh family %q: %w", familyID, storage.ErrNotFound)
		}
		return []storage.Change{{Kind: storage.ChangeRevocation, AppID: rev.AppID, Cursor: rev.Seq}}, nil
	})
	return rev, err
}

// endRefreshTokens deletes the refresh tokens r matches, as
// storage.Revocations.AddRevocation says, and returns how many. The caller
// holds the app's refresh token lock exclusively.
func endRefreshTokens(ctx context.Context, tx pgx.Tx, r storage.Revocation) (int, error) {
	var match string
	args := []any{r.AppID}
	switch r.Kind {
	case storage.RevocationUserID:
		match, args = `subject = $2 AND created_at <= $3`, append(args, r.Value, stamp(r.IssuedUpTo()))
	case storage.RevocationRoom:
		match = `created_at <= $2 AND id_hash IN (SELECT id_hash FROM refresh_token_rooms WHERE app_id = $1 AND room = $3)`
		args = append(args, stamp(r.IssuedUpTo()), r.Value)
	case storage.RevocationIssuedBefore:
		match, args = `created_at < $2`, append(args, stamp(r.IssuedBefore))
	case storage.RevocationAPIKey:
		match, args = `api_key_id = $2`, append(args, r.Value)
	case storage.RevocationRefreshFamily:
		match, args = `family_id = $2`, append(args, r.Value)
	default:
		return 0, nil
	}
	tag, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE app_id = $1 AND `+match, args...)
	if err != nil {
		return 0, fail("end refresh tokens", err)
	}
	return int(tag.RowsAffected()), nil
}

// PruneRefreshTokens implements storage.RefreshTokens.
func (s *Store) PruneRefreshTokens(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM refresh_tokens WHERE expires_at <= $1`, stamp(now))
	if err != nil {
		return 0, fail("prune refresh tokens", err)
	}
	return int(tag.RowsAffected()), nil
}

// scanRefreshToken scans the refresh token columns followed by its rooms.
func scanRefreshToken(row scanner) (storage.RefreshToken, error) {
	var t storage.RefreshToken
	var used *time.Time
	if err := row.Scan(&t.IDHash, &t.FamilyID, &t.AppID, &t.APIKeyID, &t.Subject, &t.Grants, &t.CreatedAt, &t.ExpiresAt, &used, &t.Rooms); err != nil {
		return storage.RefreshToken{}, err
	}
	t.CreatedAt = t.CreatedAt.UTC()
	t.ExpiresAt = t.ExpiresAt.UTC()
	t.UsedAt = fromNull(used)
	if len(t.Rooms) == 0 {
		t.Rooms = nil
	}
	return t, nil
}
