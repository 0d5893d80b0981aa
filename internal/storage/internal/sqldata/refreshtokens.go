package sqldata

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

const refreshTokenColumns = `id_hash, family_id, app_id, api_key_id, subject, grants, created_at, expires_at, used_at`

// lockRefreshTokens takes the dialect's lock on the app's refresh tokens,
// if it has one.
func (s Store) lockRefreshTokens(ctx context.Context, tx Querier, appID string, exclusive bool) error {
	if s.d.LockRefreshTokens == nil {
		return nil
	}
	return s.d.LockRefreshTokens(ctx, tx, appID, exclusive)
}

// CreateRefreshToken implements storage.RefreshTokens.
func (s Store) CreateRefreshToken(ctx context.Context, tok storage.RefreshToken) error {
	if err := tok.Validate(); err != nil {
		return err
	}
	return s.write(ctx, nil, func(tx Querier) ([]storage.Change, error) {
		if err := requireApp(ctx, s.d, tx, tok.AppID); err != nil {
			return nil, err
		}
		if err := s.lockRefreshTokens(ctx, tx, tok.AppID, false); err != nil {
			return nil, err
		}
		found, err := exists(ctx, s.d, tx, `SELECT 1 FROM api_keys WHERE id = $1 AND app_id = $2 AND revoked_at IS NULL`, tok.APIKeyID, tok.AppID)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, fmt.Errorf("live api key %q of app %q: %w", tok.APIKeyID, tok.AppID, storage.ErrNotFound)
		}
		return nil, s.insertRefreshToken(ctx, tx, tok)
	})
}

// insertRefreshToken stores tok and its rooms in tx.
func (s Store) insertRefreshToken(ctx context.Context, tx Querier, tok storage.RefreshToken) error {
	_, err := tx.Exec(ctx, `INSERT INTO refresh_tokens (`+refreshTokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		tok.IDHash, tok.FamilyID, tok.AppID, tok.APIKeyID, tok.Subject, tok.Grants,
		s.d.Time(orNow(tok.CreatedAt)), s.d.Time(tok.ExpiresAt), s.d.NullTime(tok.UsedAt))
	if s.d.IsUnique(err) {
		return fmt.Errorf("refresh token: %w", storage.ErrAlreadyExists)
	}
	if err != nil {
		return s.d.Fail("create refresh token", err)
	}
	if len(tok.Rooms) == 0 {
		return nil
	}
	values, args := make([]string, len(tok.Rooms)), []any{tok.IDHash, tok.AppID}
	for i, room := range tok.Rooms {
		values[i] = fmt.Sprintf("($1, $2, $%d)", i+3)
		args = append(args, room)
	}
	_, err = tx.Exec(ctx, `INSERT INTO refresh_token_rooms (id_hash, app_id, room) VALUES `+strings.Join(values, ", ")+`
		ON CONFLICT DO NOTHING`, args...)
	if err != nil {
		return s.d.Fail("create refresh token", err)
	}
	return nil
}

// GetRefreshToken implements storage.RefreshTokens.
func (s Store) GetRefreshToken(ctx context.Context, idHash []byte) (storage.RefreshToken, error) {
	return s.getRefreshToken(ctx, s.db, idHash)
}

// getRefreshToken returns a refresh token with its rooms.
func (s Store) getRefreshToken(ctx context.Context, q Querier, idHash []byte) (storage.RefreshToken, error) {
	row := q.QueryRow(ctx, `SELECT `+refreshTokenColumns+`, `+s.d.TokenRooms+` FROM refresh_tokens t WHERE id_hash = $1`, idHash)
	return one(s.d, "get refresh token", row, s.scanRefreshToken, "refresh token")
}

// RotateRefreshToken implements storage.RefreshTokens. Marking the token
// used is conditional on it being unused, so of concurrent rotations the
// first to take the row wins and the others find it used. A rotation
// refused (used, expired) rolls back, so that its audit entry is not
// written.
func (s Store) RotateRefreshToken(ctx context.Context, idHash []byte, next storage.RefreshToken, now time.Time, audit *storage.AuditEntry) (storage.RefreshToken, error) {
	now = s.d.Stamp(orNow(now))
	var tok storage.RefreshToken
	err := s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		var err error
		if tok, err = s.getRefreshToken(ctx, tx, idHash); err != nil {
			return nil, err
		}
		switch {
		case !tok.UsedAt.IsZero():
			return nil, storage.ErrReused
		case !now.Before(tok.ExpiresAt):
			return nil, storage.ErrExpired
		}
		if err := s.lockRefreshTokens(ctx, tx, tok.AppID, false); err != nil {
			return nil, err
		}
		n, err := tx.Exec(ctx, `UPDATE refresh_tokens SET used_at = $2 WHERE id_hash = $1 AND used_at IS NULL`, idHash, s.d.Time(now))
		if err != nil {
			return nil, s.d.Fail("rotate refresh token", err)
		}
		if n == 0 {
			// Rotated, or ended by a revocation, since it was read.
			if tok, err = s.getRefreshToken(ctx, tx, idHash); err != nil {
				return nil, err
			}
			return nil, storage.ErrReused
		}
		tok.UsedAt = now
		next = tok.Successor(next)
		if err := next.Validate(); err != nil {
			return nil, err
		}
		return nil, s.insertRefreshToken(ctx, tx, next)
	})
	switch {
	case errors.Is(err, storage.ErrReused), errors.Is(err, storage.ErrExpired):
		return tok, fmt.Errorf("refresh token of family %q: %w", tok.FamilyID, err)
	case err != nil:
		return storage.RefreshToken{}, err
	}
	return tok, nil
}

// RevokeRefreshFamily implements storage.RefreshTokens.
func (s Store) RevokeRefreshFamily(ctx context.Context, familyID string, now, tokensExpireBy time.Time, audit *storage.AuditEntry) (storage.Revocation, error) {
	now = orNow(now)
	var rev storage.Revocation
	err := s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		var appID string
		err := tx.QueryRow(ctx, `SELECT app_id FROM refresh_tokens WHERE family_id = $1 LIMIT 1`, familyID).Scan(&appID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("refresh family %q: %w", familyID, storage.ErrNotFound)
		}
		if err != nil {
			return nil, s.d.Fail("revoke refresh family", err)
		}
		var ended int
		rev, ended, err = s.addRevocation(ctx, tx, storage.Revocation{
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
		return []storage.Change{{Kind: storage.ChangeRevocation, AppID: appID, Cursor: rev.Seq}}, nil
	})
	return rev, err
}

// endRefreshTokens deletes the refresh tokens r matches, as
// storage.Revocations.AddRevocation says, and returns how many. The caller
// holds the app's refresh token lock exclusively.
func (s Store) endRefreshTokens(ctx context.Context, tx Querier, r storage.Revocation) (int, error) {
	var match string
	args := []any{r.AppID}
	switch r.Kind {
	case storage.RevocationUserID:
		match, args = `subject = $2 AND created_at <= $3`, append(args, r.Value, s.d.Time(r.IssuedUpTo()))
	case storage.RevocationRoom:
		match = `created_at <= $2 AND id_hash IN (SELECT id_hash FROM refresh_token_rooms WHERE app_id = $1 AND room = $3)`
		args = append(args, s.d.Time(r.IssuedUpTo()), r.Value)
	case storage.RevocationIssuedBefore:
		match, args = `created_at < $2`, append(args, s.d.Time(r.IssuedBefore))
	case storage.RevocationAPIKey:
		match, args = `api_key_id = $2`, append(args, r.Value)
	case storage.RevocationRefreshFamily:
		match, args = `family_id = $2`, append(args, r.Value)
	default:
		return 0, nil
	}
	n, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE app_id = $1 AND `+match, args...)
	if err != nil {
		return 0, s.d.Fail("end refresh tokens", err)
	}
	return int(n), nil
}

// PruneRefreshTokens implements storage.RefreshTokens.
func (s Store) PruneRefreshTokens(ctx context.Context, now time.Time) (int, error) {
	return s.prune(ctx, "prune refresh tokens", `DELETE FROM refresh_tokens WHERE expires_at <= $1`, now)
}

// scanRefreshToken scans the refresh token columns followed by its rooms.
func (s Store) scanRefreshToken(row Row) (storage.RefreshToken, error) {
	var t storage.RefreshToken
	err := row.Scan(&t.IDHash, &t.FamilyID, &t.AppID, &t.APIKeyID, &t.Subject, &t.Grants,
		s.d.ScanTime(&t.CreatedAt), s.d.ScanTime(&t.ExpiresAt), s.d.ScanTime(&t.UsedAt), s.d.ScanNames(&t.Rooms))
	if len(t.Rooms) == 0 {
		t.Rooms = nil
	}
	slices.Sort(t.Rooms)
	return t, err
}
