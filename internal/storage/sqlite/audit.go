package sqlite

import (
	"context"
	"strings"

	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/internal/sqldata"
)

// insertAuditBatch inserts the entries up to auditChunk at a time: one
// statement per row costs more than the rows.
func insertAuditBatch(ctx context.Context, tx sqldata.Querier, entries []storage.AuditEntry) error {
	for len(entries) > 0 {
		chunk := entries[:min(len(entries), auditChunk)]
		entries = entries[len(chunk):]
		query := `INSERT INTO audit_log (occurred_at, actor, action, app_id, target, detail) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", len(chunk)), ", ")
		args := make([]any, 0, 6*len(chunk))
		for _, e := range chunk {
			args = append(args, e.Time.UnixMilli(), e.Actor, e.Action, e.AppID, e.Target, e.Detail)
		}
		if _, err := tx.Exec(ctx, query, args...); err != nil {
			return err
		}
	}
	return nil
}

// auditChunk keeps a multi-row insert under SQLite's 32766 parameters.
const auditChunk = 500
