package sqldata

import (
	"context"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

const signingKeyColumns = `id, state, public_key, private_key_ciphertext, created_at, activated_at, retired_at, publish_until`

// ListSigningKeys implements storage.SigningKeys.
func (s Store) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	rows, err := s.db.Query(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys ORDER BY created_at, id`)
	return collect(s.d, "list signing keys", rows, err, s.scanSigningKey)
}

// InitSigningKeys implements storage.SigningKeys. It holds back other
// writers of signing keys, so of nodes starting at once exactly one creates
// the keys.
func (s Store) InitSigningKeys(ctx context.Context, current, next storage.SigningKey, audit *storage.AuditEntry) error {
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
	return s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		if s.d.LockSigningKeys != "" {
			if _, err := tx.Exec(ctx, s.d.LockSigningKeys); err != nil {
				return nil, s.d.Fail("lock signing keys", err)
			}
		}
		found, err := exists(ctx, s.d, tx, `SELECT 1 FROM signing_keys LIMIT 1`)
		if err != nil {
			return nil, err
		}
		if found {
			return nil, fmt.Errorf("signing keys: %w", storage.ErrAlreadyExists)
		}
		for _, k := range []storage.SigningKey{current, next} {
			if err := s.insertSigningKey(ctx, tx, k); err != nil {
				return nil, err
			}
		}
		return s.changedOnly(ctx, tx, storage.ChangeSigningKey, "", "")
	})
}

// RotateSigningKeys implements storage.SigningKeys. Retiring the current key
// is conditional on its ID and state, so of concurrent rotations the first
// to take the row wins and the others find it retired.
func (s Store) RotateSigningKeys(ctx context.Context, expectedCurrentID string, newNext storage.SigningKey, now, publishUntil time.Time, audit *storage.AuditEntry) error {
	if err := newNext.Validate(); err != nil {
		return err
	}
	now = orNow(now)
	newNext.State = storage.SigningKeyNext
	newNext.ActivatedAt, newNext.RetiredAt, newNext.PublishUntil = time.Time{}, time.Time{}, time.Time{}
	return s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		n, err := tx.Exec(ctx, `UPDATE signing_keys SET state = 'retired', retired_at = $1, publish_until = $2
			WHERE id = $3 AND state = 'current'`, s.d.Time(now), s.d.Time(publishUntil), expectedCurrentID)
		if err != nil {
			return nil, s.d.Fail("retire signing key", err)
		}
		if n != 1 {
			return nil, fmt.Errorf("signing key %q is not current: %w", expectedCurrentID, storage.ErrConflict)
		}
		n, err = tx.Exec(ctx, `UPDATE signing_keys SET state = 'current', activated_at = $1 WHERE state = 'next'`, s.d.Time(now))
		if err != nil {
			return nil, s.d.Fail("activate signing key", err)
		}
		if n != 1 {
			return nil, fmt.Errorf("no next signing key: %w", storage.ErrConflict)
		}
		if err := s.insertSigningKey(ctx, tx, newNext); err != nil {
			return nil, err
		}
		return s.changedOnly(ctx, tx, storage.ChangeSigningKey, "", "")
	})
}

// PruneSigningKeys implements storage.SigningKeys.
func (s Store) PruneSigningKeys(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.write(ctx, nil, func(tx Querier) ([]storage.Change, error) {
		var err error
		n, err = tx.Exec(ctx, `DELETE FROM signing_keys WHERE state = 'retired' AND publish_until <= $1`, s.d.Time(now))
		if err != nil {
			return nil, s.d.Fail("prune signing keys", err)
		}
		if n == 0 {
			return nil, nil
		}
		return s.changedOnly(ctx, tx, storage.ChangeSigningKey, "", "")
	})
	return int(n), err
}

func (s Store) insertSigningKey(ctx context.Context, tx Querier, k storage.SigningKey) error {
	_, err := tx.Exec(ctx, `INSERT INTO signing_keys (`+signingKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, string(k.State), k.PublicKey, k.PrivateKeyCiphertext, s.d.Time(orNow(k.CreatedAt)),
		s.d.NullTime(k.ActivatedAt), s.d.NullTime(k.RetiredAt), s.d.NullTime(k.PublishUntil))
	if s.d.IsUnique(err) {
		return fmt.Errorf("signing key %q: %w", k.ID, storage.ErrAlreadyExists)
	}
	if err != nil {
		return s.d.Fail("insert signing key", err)
	}
	return nil
}

func (s Store) scanSigningKey(row Row) (storage.SigningKey, error) {
	var k storage.SigningKey
	err := row.Scan(&k.ID, (*string)(&k.State), &k.PublicKey, &k.PrivateKeyCiphertext, s.d.ScanTime(&k.CreatedAt),
		s.d.ScanTime(&k.ActivatedAt), s.d.ScanTime(&k.RetiredAt), s.d.ScanTime(&k.PublishUntil))
	return k, err
}
