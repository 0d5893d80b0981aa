package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stagedoor/stagedoor/internal/storage"
)

const auditColumns = `seq, occurred_at, actor, action, app_id, target, detail`

// AppendAudit implements storage.AuditLog.
func (s *Store) AppendAudit(ctx context.Context, e storage.AuditEntry) (storage.AuditEntry, error) {
	if err := e.Validate(); err != nil {
		return storage.AuditEntry{}, err
	}
	var stored storage.AuditEntry
	err := s.write(ctx, nil, func(tx pgx.Tx) ([]storage.Change, error) {
		var err error
		stored, err = appendAudit(ctx, tx, e)
		return nil, err
	})
	return stored, err
}

// AppendAuditBatch implements storage.AuditLog. The batch is inserted by one
// statement: a round trip per entry costs more than the entries.
func (s *Store) AppendAuditBatch(ctx context.Context, entries []storage.AuditEntry) error {
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return err
		}
	}
	if len(entries) == 0 {
		return nil
	}
	n := len(entries)
	times, details := make([]time.Time, n), make([][]byte, n)
	actors, actions, apps, targets := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, e := range entries {
		times[i] = stamp(orNow(e.Time))
		actors[i], actions[i], apps[i], targets[i], details[i] = e.Actor, e.Action, e.AppID, e.Target, e.Detail
	}
	return s.write(ctx, nil, func(tx pgx.Tx) ([]storage.Change, error) {
		// One statement for the whole batch, rows numbered in batch order.
		_, err := tx.Exec(ctx, `INSERT INTO audit_log (occurred_at, actor, action, app_id, target, detail)
			SELECT t, ac, an, ap, tg, d FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[])
				WITH ORDINALITY AS u(t, ac, an, ap, tg, d, i) ORDER BY i`,
			times, actors, actions, apps, targets, details)
		if err != nil {
			return nil, fail("append audit", err)
		}
		return nil, nil
	})
}

// appendAudit inserts e in tx and returns it as stored.
func appendAudit(ctx context.Context, tx pgx.Tx, e storage.AuditEntry) (storage.AuditEntry, error) {
	e.Time = stamp(orNow(e.Time))
	err := tx.QueryRow(ctx, `INSERT INTO audit_log (occurred_at, actor, action, app_id, target, detail)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`,
		e.Time, e.Actor, e.Action, e.AppID, e.Target, e.Detail).Scan(&e.Seq)
	if err != nil {
		return storage.AuditEntry{}, fail("append audit", err)
	}
	return e, nil
}

// ListAudit implements storage.AuditLog.
func (s *Store) ListAudit(ctx context.Context, q storage.AuditQuery) ([]storage.AuditEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit_log
		WHERE seq > $1 AND ($2 = '' OR app_id = $2) ORDER BY seq LIMIT $3`, q.AfterSeq, q.AppID, limit(q.Limit))
	return collect(rows, err, scanAudit)
}

func scanAudit(row scanner) (storage.AuditEntry, error) {
	var e storage.AuditEntry
	if err := row.Scan(&e.Seq, &e.Time, &e.Actor, &e.Action, &e.AppID, &e.Target, &e.Detail); err != nil {
		return storage.AuditEntry{}, err
	}
	e.Time = e.Time.UTC()
	return e, nil
}
