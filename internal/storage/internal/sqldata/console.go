package sqldata

import (
	"context"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

const (
	loginCodeColumns      = `code_hash, operator, created_at, expires_at, used_at`
	consoleSessionColumns = `id, operator, app_id, api_key_id, created_at, expires_at, revoked_at`
)

// CreateLoginCode implements storage.ConsoleSessions.
func (s Store) CreateLoginCode(ctx context.Context, c storage.LoginCode, audit *storage.AuditEntry) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		_, err := tx.Exec(ctx, `INSERT INTO console_login_codes (`+loginCodeColumns+`) VALUES ($1, $2, $3, $4, $5)`,
			c.Hash, c.Operator, s.d.Time(orNow(c.CreatedAt)), s.d.Time(c.ExpiresAt), s.d.NullTime(c.UsedAt))
		if s.d.IsUnique(err) {
			return nil, fmt.Errorf("login code: %w", storage.ErrAlreadyExists)
		}
		if err != nil {
			return nil, s.d.Fail("create login code", err)
		}
		return nil, nil
	})
}

// GetLoginCode implements storage.ConsoleSessions.
func (s Store) GetLoginCode(ctx context.Context, hash []byte) (storage.LoginCode, error) {
	row := s.db.QueryRow(ctx, `SELECT `+loginCodeColumns+` FROM console_login_codes WHERE code_hash = $1`, hash)
	return one(s.d, "get login code", row, func(row Row) (storage.LoginCode, error) {
		var c storage.LoginCode
		err := row.Scan(&c.Hash, &c.Operator, s.d.ScanTime(&c.CreatedAt), s.d.ScanTime(&c.ExpiresAt), s.d.ScanTime(&c.UsedAt))
		return c, err
	}, "login code")
}

// RedeemLoginCode implements storage.ConsoleSessions. Using the code is
// conditional on its being unused, so of concurrent redemptions exactly
// one changes the row and stores its session.
func (s Store) RedeemLoginCode(ctx context.Context, hash []byte, now time.Time, ses storage.ConsoleSession, audit *storage.AuditEntry) error {
	if err := ses.Validate(); err != nil || ses.Operator == "" {
		return fmt.Errorf("an operator's session: %w", storage.ErrInvalid)
	}
	now = orNow(now)
	return s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		n, err := tx.Exec(ctx, `UPDATE console_login_codes SET used_at = $2
			WHERE code_hash = $1 AND operator = $3 AND used_at IS NULL AND expires_at > $2`,
			hash, s.d.Time(now), ses.Operator)
		if err != nil {
			return nil, s.d.Fail("redeem login code", err)
		}
		if n == 0 {
			return nil, fmt.Errorf("login code unused and unexpired: %w", storage.ErrNotFound)
		}
		return nil, s.insertConsoleSession(ctx, tx, ses)
	})
}

// CreateOwnerSession implements storage.ConsoleSessions. The key's row is
// read with the dialect's lock, so sign-ins with one key count their
// sessions one after the other.
func (s Store) CreateOwnerSession(ctx context.Context, ses storage.ConsoleSession, limit int, audit *storage.AuditEntry) error {
	if err := ses.Validate(); err != nil || ses.Operator != "" {
		return fmt.Errorf("an app owner's session: %w", storage.ErrInvalid)
	}
	ses.CreatedAt = orNow(ses.CreatedAt)
	return s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		live, err := exists(ctx, s.d, tx, `SELECT 1 FROM api_keys
			WHERE id = $1 AND app_id = $2 AND revoked_at IS NULL`+s.d.ForUpdate, ses.APIKeyID, ses.AppID)
		if err != nil {
			return nil, err
		}
		if !live {
			return nil, fmt.Errorf("live api key %q of app %q: %w", ses.APIKeyID, ses.AppID, storage.ErrNotFound)
		}
		var n int
		err = tx.QueryRow(ctx, `SELECT count(*) FROM console_sessions
			WHERE api_key_id = $1 AND revoked_at IS NULL AND expires_at > $2`, ses.APIKeyID, s.d.Time(ses.CreatedAt)).Scan(&n)
		if err != nil {
			return nil, s.d.Fail("count console sessions", err)
		}
		if n >= limit {
			return nil, fmt.Errorf("api key %q has %d live console sessions: %w", ses.APIKeyID, n, storage.ErrConflict)
		}
		return nil, s.insertConsoleSession(ctx, tx, ses)
	})
}

func (s Store) insertConsoleSession(ctx context.Context, tx Querier, ses storage.ConsoleSession) error {
	_, err := tx.Exec(ctx, `INSERT INTO console_sessions (`+consoleSessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		ses.ID, ses.Operator, ses.AppID, ses.APIKeyID, s.d.Time(orNow(ses.CreatedAt)), s.d.Time(ses.ExpiresAt), s.d.NullTime(ses.RevokedAt))
	if s.d.IsUnique(err) {
		return fmt.Errorf("console session %q: %w", ses.ID, storage.ErrAlreadyExists)
	}
	if err != nil {
		return s.d.Fail("create console session", err)
	}
	return nil
}

// GetConsoleSession implements storage.ConsoleSessions.
func (s Store) GetConsoleSession(ctx context.Context, id string) (storage.ConsoleSession, error) {
	row := s.db.QueryRow(ctx, `SELECT `+consoleSessionColumns+` FROM console_sessions WHERE id = $1`, id)
	return one(s.d, "get console session", row, s.scanConsoleSession, "console session %q", id)
}

// ListConsoleSessions implements storage.ConsoleSessions.
func (s Store) ListConsoleSessions(ctx context.Context, appID string, now time.Time) ([]storage.ConsoleSession, error) {
	rows, err := s.db.Query(ctx, `SELECT `+consoleSessionColumns+` FROM console_sessions
		WHERE ($1 = '' OR app_id = $1) AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at, id`,
		appID, s.d.Time(orNow(now)))
	return collect(s.d, "list console sessions", rows, err, s.scanConsoleSession)
}

// RevokeConsoleSession implements storage.ConsoleSessions.
func (s Store) RevokeConsoleSession(ctx context.Context, id string, now time.Time, audit *storage.AuditEntry) (storage.ConsoleSession, error) {
	now = orNow(now)
	var out storage.ConsoleSession
	err := s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		n, err := tx.Exec(ctx, `UPDATE console_sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, id, s.d.Time(now))
		if err != nil {
			return nil, s.d.Fail("revoke console session", err)
		}
		row := tx.QueryRow(ctx, `SELECT `+consoleSessionColumns+` FROM console_sessions WHERE id = $1`, id)
		if out, err = one(s.d, "get console session", row, s.scanConsoleSession, "console session %q", id); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("console session %q already revoked: %w", id, storage.ErrConflict)
		}
		return nil, nil
	})
	return out, err
}

// PruneConsole implements storage.ConsoleSessions.
func (s Store) PruneConsole(ctx context.Context, now time.Time) (int, error) {
	codes, err := s.prune(ctx, "prune login codes", `DELETE FROM console_login_codes WHERE expires_at < $1`, now)
	if err != nil {
		return 0, err
	}
	sessions, err := s.prune(ctx, "prune console sessions", `DELETE FROM console_sessions WHERE expires_at < $1`, now)
	return codes + sessions, err
}

func (s Store) scanConsoleSession(row Row) (storage.ConsoleSession, error) {
	var c storage.ConsoleSession
	err := row.Scan(&c.ID, &c.Operator, &c.AppID, &c.APIKeyID, s.d.ScanTime(&c.CreatedAt), s.d.ScanTime(&c.ExpiresAt), s.d.ScanTime(&c.RevokedAt))
	return c, err
}
