package sqldata

import (
	"context"

	"github.com/stagedoor/stagedoor/internal/storage"
)

const auditColumns = `seq, occurred_at, actor, action, app_id, target, detail`

// AppendAudit implements storage.AuditLog.
func (s Store) AppendAudit(ctx context.Context, e storage.AuditEntry) (storage.AuditEntry, error) {
	if err := e.Validate(); err != nil {
		return storage.AuditEntry{}, err
	}
	var stored storage.AuditEntry
	err := s.write(ctx, nil, func(tx Querier) ([]storage.Change, error) {
		var err error
		stored, err = InsertAudit(ctx, s.d, tx, e)
		return nil, err
	})
	return stored, err
}

// AppendAuditBatch implements storage.AuditLog.
func (s Store) AppendAuditBatch(ctx context.Context, entries []storage.AuditEntry) error {
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return err
		}
	}
	if len(entries) == 0 {
		return nil
	}
	stamped := make([]storage.AuditEntry, len(entries))
	for i, e := range entries {
		e.Time = s.d.Stamp(orNow(e.Time))
		stamped[i] = e
	}
	return s.write(ctx, nil, func(tx Querier) ([]storage.Change, error) {
		if err := s.d.InsertAuditBatch(ctx, tx, stamped); err != nil {
			return nil, s.d.Fail("append audit", err)
		}
		return nil, nil
	})
}

// InsertAudit inserts e in tx and returns it as stored: a backend's write
// transactions append their audit entry with it.
func InsertAudit(ctx context.Context, d *Dialect, tx Querier, e storage.AuditEntry) (storage.AuditEntry, error) {
	e.Time = d.Stamp(orNow(e.Time))
	err := tx.QueryRow(ctx, `INSERT INTO audit_log (occurred_at, actor, action, app_id, target, detail)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`,
		d.Time(e.Time), e.Actor, e.Action, e.AppID, e.Target, e.Detail).Scan(&e.Seq)
	if err != nil {
		return storage.AuditEntry{}, d.Fail("append audit", err)
	}
	return e, nil
}

// ListAudit implements storage.AuditLog.
func (s Store) ListAudit(ctx context.Context, q storage.AuditQuery) ([]storage.AuditEntry, error) {
	rows, err := s.db.Query(ctx, `SELECT `+auditColumns+` FROM audit_log
		WHERE seq > $1 AND ($2 = '' OR app_id = $2) ORDER BY seq LIMIT $3`, q.AfterSeq, q.AppID, s.d.Limit(q.Limit))
	return collect(s.d, "list audit", rows, err, func(row Row) (storage.AuditEntry, error) {
		var e storage.AuditEntry
		err := row.Scan(&e.Seq, s.d.ScanTime(&e.Time), &e.Actor, &e.Action, &e.AppID, &e.Target, &e.Detail)
		return e, err
	})
}
