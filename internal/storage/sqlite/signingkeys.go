package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

const signingKeyColumns = `id, state, public_key, private_key_ciphertext, created_at, activated_at, retired_at, publish_until`

// ListSigningKeys implements storage.SigningKeys.
func (s *Store) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fail("list signing keys", err)
	}
	return collect(rows, scanSigningKey)
}

// InitSigningKeys implements storage.SigningKeys.
func (s *Store) InitSigningKeys(ctx context.Context, current, next storage.SigningKey, audit *storage.AuditEntry) error {
	if err := current.Validate(); err != nil {
		return err
	}
	if err := next.Validate(); err != nil {
		return err
	}
	current.State = storage.SigningKeyCurrent
	current.CreatedAt = orNow(current.CreatedAt)
	if current.ActivatedAt.IsZero() {
		current.ActivatedAt = current.CreatedAt
	}
	current.RetiredAt, current.PublishUntil = time.Time{}, time.Time{}
	next.State = storage.SigningKeyNext
	next.ActivatedAt, next.RetiredAt, next.PublishUntil = time.Time{}, time.Time{}, time.Time{}
	return s.write(ctx, audit, func(tx *sql.Tx) ([]storage.Change, error) {
		found, err := exists(ctx, tx, `SELECT 1 FROM signing_keys LIMIT 1`)
		if err != nil {
			return nil, err
		}
		if found {
			return nil, fmt.Errorf("signing keys: %w", storage.ErrAlreadyExists)
		}
		for _, k := range []storage.SigningKey{current, next} {
			if err := insertSigningKey(ctx, tx, k); err != nil {
				return nil, err
			}
		}
		return []storage.Change{{Kind: storage.ChangeSigningKey}}, nil
	})
}

// RotateSigningKeys implements storage.SigningKeys.
func (s *Store) RotateSigningKeys(ctx context.Context, expectedCurrentID string, newNext storage.SigningKey, now, publishUntil time.Time, audit *storage.AuditEntry) error {
	if err := newNext.Validate(); err != nil {
		return err
	}
	now = orNow(now)
	newNext.State = storage.SigningKeyNext
	newNext.ActivatedAt, newNext.RetiredAt, newNext.PublishUntil = time.Time{}, time.Time{}, time.Time{}
	return s.write(ctx, audit, func(tx *sql.Tx) ([]storage.Change, error) {
		res, err := tx.ExecContext(ctx, `UPDATE signing_keys SET state = 'retired', retired_at = ?, publish_until = ?
			WHERE id = ? AND state = 'current'`, millis(now), millis(publishUntil), expectedCurrentID)
		if err != nil {
			return nil, fail("retire signing key", err)
		}
		if n, err := rowsAffected(res); err != nil {
			return nil, err
		} else if n != 1 {
			return nil, fmt.Errorf("signing key %q is not current: %w", expectedCurrentID, storage.ErrConflict)
		}
		res, err = tx.ExecContext(ctx, `UPDATE signing_keys SET state = 'current', activated_at = ? WHERE state = 'next'`, millis(now))
		if err != nil {
			return nil, fail("activate signing key", err)
		}
		if n, err := rowsAffected(res); err != nil {
			return nil, err
		} else if n != 1 {
			return nil, fmt.Errorf("no next signing key: %w", storage.ErrConflict)
		}
		if err := insertSigningKey(ctx, tx, newNext); err != nil {
			return nil, err
		}
		return []storage.Change{{Kind: storage.ChangeSigningKey}}, nil
	})
}

// PruneSigningKeys implements storage.SigningKeys.
func (s *Store) PruneSigningKeys(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.write(ctx, nil, func(tx *sql.Tx) ([]storage.Change, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM signing_keys WHERE state = 'retired' AND publish_until <= ?`, millis(now))
		if err != nil {
			return nil, fail("prune signing keys", err)
		}
		n, err = rowsAffected(res)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, nil
		}
		return []storage.Change{{Kind: storage.ChangeSigningKey}}, nil
	})
	return n, err
}

func insertSigningKey(ctx context.Context, tx *sql.Tx, k storage.SigningKey) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (`+signingKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, string(k.State), k.PublicKey, k.PrivateKeyCiphertext, millis(orNow(k.CreatedAt)),
		nullMillis(k.ActivatedAt), nullMillis(k.RetiredAt), nullMillis(k.PublishUntil))
	if isUnique(err) {
		return fmt.Errorf("signing key %q: %w", k.ID, storage.ErrAlreadyExists)
	}
	if err != nil {
		return fail("insert signing key", err)
	}
	return nil
}

func scanSigningKey(row scanner) (storage.SigningKey, error) {
	var k storage.SigningKey
	var state string
	var created int64
	var activated, retired, until sql.NullInt64
	if err := row.Scan(&k.ID, &state, &k.PublicKey, &k.PrivateKeyCiphertext, &created, &activated, &retired, &until); err != nil {
		return storage.SigningKey{}, err
	}
	k.State = storage.SigningKeyState(state)
	k.CreatedAt = fromMillis(created)
	k.ActivatedAt = fromNullMillis(activated)
	k.RetiredAt = fromNullMillis(retired)
	k.PublishUntil = fromNullMillis(until)
	return k, nil
}
