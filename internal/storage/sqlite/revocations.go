package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

const revocationColumns = `seq, app_id, kind, value, issued_before, created_at, expires_at`

// AddRevocation implements storage.Revocations.
func (s *Store) AddRevocation(ctx context.Context, r storage.Revocation, audit *storage.AuditEntry) (storage.Revocation, error) {
	if err := r.Validate(); err != nil {
		return storage.Revocation{}, err
	}
	var stored storage.Revocation
	err := s.write(ctx, audit, func(tx *sql.Tx) ([]storage.Change, error) {
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
// it matches, and returns it as stored and how many tokens it deleted.
func addRevocation(ctx context.Context, tx *sql.Tx, r storage.Revocation) (storage.Revocation, int, error) {
	if err := r.Validate(); err != nil {
		return storage.Revocation{}, 0, err
	}
	r.CreatedAt = orNow(r.CreatedAt)
	err := tx.QueryRowContext(ctx, `INSERT INTO revocations (app_id, kind, value, issued_before, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING seq`,
		r.AppID, string(r.Kind), r.Value, nullMillis(r.IssuedBefore), millis(r.CreatedAt), millis(r.ExpiresAt)).Scan(&r.Seq)
	if err != nil {
		return storage.Revocation{}, 0, fail("add revocation", err)
	}
	ended, err := endRefreshTokens(ctx, tx, r)
	if err != nil {
		return storage.Revocation{}, 0, err
	}
	r.IssuedBefore = truncate(r.IssuedBefore)
	r.CreatedAt = truncate(r.CreatedAt)
	r.ExpiresAt = truncate(r.ExpiresAt)
	return r, ended, nil
}

// ListRevocations implements storage.Revocations.
func (s *Store) ListRevocations(ctx context.Context, q storage.RevocationQuery) ([]storage.Revocation, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+revocationColumns+` FROM revocations
		WHERE seq > ? AND (? = '' OR app_id = ?) ORDER BY seq`+limitClause(q.Limit), q.AfterSeq, q.AppID, q.AppID)
	if err != nil {
		return nil, fail("list revocations", err)
	}
	return collect(rows, scanRevocation)
}

// PruneRevocations implements storage.Revocations.
func (s *Store) PruneRevocations(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.write(ctx, nil, func(tx *sql.Tx) ([]storage.Change, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM revocations WHERE expires_at <= ?`, millis(now))
		if err != nil {
			return nil, fail("prune revocations", err)
		}
		n, err = rowsAffected(res)
		return nil, err
	})
	return n, err
}

func scanRevocation(row scanner) (storage.Revocation, error) {
	var r storage.Revocation
	var kind string
	var issuedBefore sql.NullInt64
	var created, expires int64
	if err := row.Scan(&r.Seq, &r.AppID, &kind, &r.Value, &issuedBefore, &created, &expires); err != nil {
		return storage.Revocation{}, err
	}
	r.Kind = storage.RevocationKind(kind)
	r.IssuedBefore = fromNullMillis(issuedBefore)
	r.CreatedAt = fromMillis(created)
	r.ExpiresAt = fromMillis(expires)
	return r, nil
}
