package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/stagedoor/stagedoor/internal/storage"
)

const auditColumns = `seq, occurred_at, actor, action, app_id, target, detail`

// AppendAudit implements storage.AuditLog.
func (s *Store) AppendAudit(ctx context.Context, e storage.AuditEntry) (storage.AuditEntry, error) {
	if err := e.Validate(); err != nil {
		return storage.AuditEntry{}, err
	}
	var stored storage.AuditEntry
	err := s.write(ctx, nil, func(tx *sql.Tx) ([]storage.Change, error) {
		var err error
		stored, err = appendAudit(ctx, tx, e)
		return nil, err
	})
	return stored, err
}

// AppendAuditBatch implements storage.AuditLog. Rows are inserted up to
// auditChunk at a time: one statement per row costs more than the rows.
func (s *Store) AppendAuditBatch(ctx context.Context, entries []storage.AuditEntry) error {
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return err
		}
	}
	return s.write(ctx, nil, func(tx *sql.Tx) ([]storage.Change, error) {
		for len(entries) > 0 {
			chunk := entries[:min(len(entries), auditChunk)]
			entries = entries[len(chunk):]
			query := `INSERT INTO audit_log (occurred_at, actor, action, app_id, target, detail) VALUES ` +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", len(chunk)), ", ")
			args := make([]any, 0, 6*len(chunk))
			for _, e := range chunk {
				args = append(args, millis(truncate(orNow(e.Time))), e.Actor, e.Action, e.AppID, e.Target, e.Detail)
			}
			if _, err := tx.ExecContext(ctx, query, args...); err != nil {
				return nil, fail("append audit", err)
			}
		}
		return nil, nil
	})
}

// auditChunk keeps a multi-row insert under SQLite's 32766 parameters.
const auditChunk = 500

// appendAudit inserts e in tx and returns it as stored.
func appendAudit(ctx context.Context, tx *sql.Tx, e storage.AuditEntry) (storage.AuditEntry, error) {
	e.Time = truncate(orNow(e.Time))
	err := tx.QueryRowContext(ctx, `INSERT INTO audit_log (occurred_at, actor, action, app_id, target, detail)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING seq`,
		millis(e.Time), e.Actor, e.Action, e.AppID, e.Target, e.Detail).Scan(&e.Seq)
	if err != nil {
		return storage.AuditEntry{}, fail("append audit", err)
	}
	return e, nil
}

// ListAudit implements storage.AuditLog.
func (s *Store) ListAudit(ctx context.Context, q storage.AuditQuery) ([]storage.AuditEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log
		WHERE seq > ? AND (? = '' OR app_id = ?) ORDER BY seq`+limitClause(q.Limit), q.AfterSeq, q.AppID, q.AppID)
	if err != nil {
		return nil, fail("list audit", err)
	}
	return collect(rows, scanAudit)
}

func scanAudit(row scanner) (storage.AuditEntry, error) {
	var e storage.AuditEntry
	var at int64
	if err := row.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.AppID, &e.Target, &e.Detail); err != nil {
		return storage.AuditEntry{}, err
	}
	e.Time = fromMillis(at)
	return e, nil
}
