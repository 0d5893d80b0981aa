package sqldata

import (
	"context"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

const revocationColumns = `seq, app_id, kind, value, issued_before, created_at, expires_at`

// AddRevocation implements storage.Revocations.
func (s Store) AddRevocation(ctx context.Context, r storage.Revocation, audit *storage.AuditEntry) (storage.Revocation, error) {
	if err := r.Validate(); err != nil {
		return storage.Revocation{}, err
	}
	var stored storage.Revocation
	err := s.write(ctx, audit, func(tx Querier) ([]storage.Change, error) {
		if err := requireApp(ctx, s.d, tx, r.AppID); err != nil {
			return nil, err
		}
		var err error
		stored, _, err = s.addRevocation(ctx, tx, r)
		if err != nil {
			return nil, err
		}
		return []storage.Change{{Kind: storage.ChangeRevocation, AppID: r.AppID, Cursor: stored.Seq}}, nil
	})
	return stored, err
}

// addRevocation validates and inserts r in tx, deletes the refresh tokens
// it matches, and returns it as stored and how many tokens it deleted.
func (s Store) addRevocation(ctx context.Context, tx Querier, r storage.Revocation) (storage.Revocation, int, error) {
	if err := r.Validate(); err != nil {
		return storage.Revocation{}, 0, err
	}
	if err := s.lockRefreshTokens(ctx, tx, r.AppID, true); err != nil {
		return storage.Revocation{}, 0, err
	}
	r.IssuedBefore, r.CreatedAt, r.ExpiresAt = s.d.Stamp(r.IssuedBefore), s.d.Stamp(orNow(r.CreatedAt)), s.d.Stamp(r.ExpiresAt)
	err := tx.QueryRow(ctx, s.d.InsertRevocation, r.AppID, string(r.Kind), r.Value,
		s.d.NullTime(r.IssuedBefore), s.d.Time(r.CreatedAt), s.d.Time(r.ExpiresAt)).Scan(&r.Seq)
	if err != nil {
		return storage.Revocation{}, 0, s.d.Fail("add revocation", err)
	}
	ended, err := s.endRefreshTokens(ctx, tx, r)
	if err != nil {
		return storage.Revocation{}, 0, err
	}
	return r, ended, nil
}

// ListRevocations implements storage.Revocations.
func (s Store) ListRevocations(ctx context.Context, q storage.RevocationQuery) ([]storage.Revocation, error) {
	rows, err := s.db.Query(ctx, `SELECT `+revocationColumns+` FROM revocations
		WHERE seq > $1 AND ($2 = '' OR app_id = $2) ORDER BY seq LIMIT $3`, q.AfterSeq, q.AppID, s.d.Limit(q.Limit))
	return collect(s.d, "list revocations", rows, err, func(row Row) (storage.Revocation, error) {
		var r storage.Revocation
		err := row.Scan(&r.Seq, &r.AppID, (*string)(&r.Kind), &r.Value,
			s.d.ScanTime(&r.IssuedBefore), s.d.ScanTime(&r.CreatedAt), s.d.ScanTime(&r.ExpiresAt))
		return r, err
	})
}

// PruneRevocations implements storage.Revocations.
func (s Store) PruneRevocations(ctx context.Context, now time.Time) (int, error) {
	return s.prune(ctx, "prune revocations", `DELETE FROM revocations WHERE expires_at <= $1`, now)
}

// prune runs a statement that deletes what expired at now, and returns how
// many rows it deleted.
func (s Store) prune(ctx context.Context, what, query string, now time.Time) (int, error) {
	var n int64
	err := s.write(ctx, nil, func(tx Querier) ([]storage.Change, error) {
		var err error
		if n, err = tx.Exec(ctx, query, s.d.Time(now)); err != nil {
			return nil, s.d.Fail(what, err)
		}
		return nil, nil
	})
	return int(n), err
}
