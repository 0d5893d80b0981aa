package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stagedoor/stagedoor/internal/storage"
)

const signingKeyColumns = `id, state, public_key, private_key_ciphertext, created_at, activated_at, retired_at, publish_until`

// ListSigningKeys implements storage.SigningKeys.
func (s *Store) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys ORDER BY created_at, id`)
	return collect(rows, err, scanSigningKey)
}

// InitSigningKeys implements storage.SigningKeys. It locks the table against
// other writers, so of nodes starting at once exactly one creates the keys.
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
	return s.write(ctx, audit, func(tx pgx.Tx) ([]storage.Change, error) {
		if _, err := tx.Exec(ctx, `LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return nil, fail("lock signing keys", err)
		}
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

// RotateSigningKeys implements storage.SigningKeys. Retiring the current key
// is conditional on its ID and state, so of concurrent rotations the first
// to lock the row wins and the others find it retired.
func (s *Store) RotateSigningKeys(ctx context.Context, expectedCurrentID string, newNext storage.SigningKey, now, publishUntil time.Time, audit *storage.AuditEntry) error {
	if err := newNext.Validate(); err != nil {
		return err
	}
	now = orNow(now)
	newNext.State = storage.SigningKeyNext
	newNext.ActivatedAt, newNext.RetiredAt, newNext.PublishUntil = time.Time{}, time.Time{}, time.Time{}
	return s.write(ctx, audit, func(tx pgx.Tx) ([]storage.Change, error) {
		tag, err := tx.Exec(ctx, `UPDATE signing_keys SET state = 'retired', retired_at = $1, publish_until = $2
			WHERE id = $3 AND state = 'current'`, stamp(now), stamp(publishUntil), expectedCurrentID)
		if err != nil {
			return nil, fail("retire signing key", err)
		}
		if tag.RowsAffected() != 1 {
			return nil, fmt.Errorf("signing key %q is not current: %w", expectedCurrentID, storage.ErrConflict)
		}
		tag, err = tx.Exec(ctx, `UPDATE signing_keys SET state = 'current', activated_at = $1 WHERE state = 'next'`, stamp(now))
		if err != nil {
			return nil, fail("activate signing key", err)
		}
		if tag.RowsAffected() != 1 {
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
	err := s.write(ctx, nil, func(tx pgx.Tx) ([]storage.Change, error) {
		tag, err := tx.Exec(ctx, `DELETE FROM signing_keys WHERE state = 'retired' AND publish_until <= $1`, stamp(now))
		if err != nil {
			return nil, fail("prune signing keys", err)
		}
		n = int(tag.RowsAffected())
		if n == 0 {
			return nil, nil
		}
		return []storage.Change{{Kind: storage.ChangeSigningKey}}, nil
	})
	return n, err
}

func insertSigningKey(ctx context.Context, tx pgx.Tx, k storage.SigningKey) error {
	_, err := tx.Exec(ctx, `INSERT INTO signing_keys (`+signingKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, string(k.State), k.PublicKey, k.PrivateKeyCiphertext, stamp(orNow(k.CreatedAt)),
		nullStamp(k.ActivatedAt), nullStamp(k.RetiredAt), nullStamp(k.PublishUntil))
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
	var activated, retired, until *time.Time
	if err := row.Scan(&k.ID, &state, &k.PublicKey, &k.PrivateKeyCiphertext, &k.CreatedAt, &activated, &retired, &until); err != nil {
		return storage.SigningKey{}, err
	}
	k.State = storage.SigningKeyState(state)
	k.CreatedAt = k.CreatedAt.UTC()
	k.ActivatedAt = fromNull(activated)
	k.RetiredAt = fromNull(retired)
	k.PublishUntil = fromNull(until)
	return k, nil
}
