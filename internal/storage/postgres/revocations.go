package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stagedoor/stagedoor/internal/storage"
)

const revocationColumns = `seq, app_id, kind, value, issued_before, created_at, expires_at`

// AddRevocation implements storage.Revocations.
func (s *Store) AddRevocation(ctx context.Context, r storage.Revocation, audit *storage.AuditEntry) (storage.Revocation, error) {
	if err := r.Validate(); err != nil {
		return storage.Revocation{}, err
	}
	var stored storage.Revocation
	err := s.write(ctx, audit, func(tx pgx.Tx) ([]storage.Change, error) {
		if err := requireApp(ctx, tx, r.AppID); err != nil {
			return nil, err
		}
		var err error
		stored, _, err = addRevocation(ctx, tx, r)
		if err != nil {
			return nil, err
		}
		return []storage.Change{{Kind: storage.ChangeRevocation, AppID: r.AppID, Cursor: stored.Seq}}, nil
	})
	return stored, err
}

// addRevocation validates and inserts r in tx, deletes the refresh tokens
// it matches, and returns it as stored and how many tokens it deleted. Its
// sequence number comes from the revocation_seq row, which stays locked
// until tx ends: revocations therefore commit in sequence order.
func addRevocation(ctx context.Context, tx pgx.Tx, r storage.Revocation) (storage.Revocation, int, error) {
	if err := r.Validate(); err != nil {
		return storage.Revocation{}, 0, err
	}
	if err := lockRefreshTokens(ctx, tx, r.AppID, true); err != nil {
		return storage.Revocation{}, 0, err
	}
	r.IssuedBefore = stamp(r.IssuedBefore)
	r.CreatedAt = stamp(orNow(r.CreatedAt))
	r.ExpiresAt = stamp(r.ExpiresAt)
	if err := tx.QueryRow(ctx, `UPDATE revocation_seq SET last = last + 1 RETURNING last`).Scan(&r.Seq); err != nil {
		return storage.Revocation{}, 0, fail("revocation seq", err)
	}
	_, err := tx.Exec(ctx, `INSERT INTO revocations (`+revocationColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		r.Seq, r.AppID, string(r.Kind), r.Value, nullStamp(r.IssuedBefore), r.CreatedAt, r.ExpiresAt)
	if err != nil {
		return storage.Revocation{}, 0, fail("add revocation", err)
	}
	ended, err := endRefreshTokens(ctx, tx, r)
	if err != nil {
		return storage.Revocation{}, 0, err
	}
	return r, ended, nil
}

// ListRevocations implements storage.Revocations.
func (s *Store) ListRevocations(ctx context.Context, q storage.RevocationQuery) ([]storage.Revocation, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+revocationColumns+` FROM revocations
		WHERE seq > $1 AND ($2 = '' OR app_id = $2) ORDER BY seq LIMIT $3`, q.AfterSeq, q.AppID, limit(q.Limit))
	return collect(rows, err, scanRevocation)
}

// PruneRevocations implements storage.Revocations.
func (s *Store) PruneRevocations(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM revocations WHERE expires_at <= $1`, stamp(now))
	if err != nil {
		return 0, fail("prune revocations", err)
	}
	return int(tag.RowsAffected()), nil
}

func scanRevocation(row scanner) (storage.Revocation, error) {
	var r storage.Revocation
	var kind string
	var issuedBefore *time.Time
	if err := row.Scan(&r.Seq, &r.AppID, &kind, &r.Value, &issuedBefore, &r.CreatedAt, &r.ExpiresAt); err != nil {
		return storage.Revocation{}, err
	}
	r.Kind = storage.RevocationKind(kind)
	r.IssuedBefore = fromNull(issuedBefore)
	r.CreatedAt = r.CreatedAt.UTC()
	r.ExpiresAt = r.ExpiresAt.UTC()
	return r, nil
}
