package sqldata

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

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

// ListAudit implements storage.AuditLog. Migration 00006 gives each filter
// (app, action, actor, and app with action) an index that continues with
// occurred_at and seq (the rowid on SQLite), the order of the listing: a
// page reads as many index entries as it returns. A filter the chosen
// index does not hold is checked row by row: an actor with an action reads
// the actor's entries until the page is full.
func (s Store) ListAudit(ctx context.Context, q storage.AuditQuery) ([]storage.AuditEntry, error) {
	var w where
	for _, f := range []struct{ column, value string }{{"app_id", q.AppID}, {"action", q.Action}, {"actor", q.Actor}} {
		if f.value != "" {
			w.add(f.column + " = " + w.arg(f.value))
		}
	}
	if !q.Since.IsZero() {
		w.add("occurred_at >= " + w.arg(s.d.Time(q.Since)))
	}
	if !q.Until.IsZero() {
		w.add("occurred_at < " + w.arg(s.d.Time(q.Until)))
	}
	past, order := ">", "occurred_at, seq"
	if q.Newest {
		past, order = "<", "occurred_at DESC, seq DESC"
	}
	if !q.After.IsZero() {
		// (occurred_at, seq) past the cursor, spelled so that the bound on
		// occurred_at alone narrows the index range.
		t, seq := w.arg(s.d.Time(q.After.Time)), w.arg(q.After.Seq)
		w.add(fmt.Sprintf("occurred_at %s= %s AND (occurred_at %s %s OR seq %s %s)", past, t, past, t, past, seq))
	}
	limit := w.arg(s.d.Limit(q.Limit))
	rows, err := s.db.Query(ctx, `SELECT `+auditColumns+` FROM audit_log`+w.clause()+` ORDER BY `+order+` LIMIT `+limit, w.args...)
	return collect(s.d, "list audit", rows, err, func(row Row) (storage.AuditEntry, error) {
		var e storage.AuditEntry
		err := row.Scan(&e.Seq, s.d.ScanTime(&e.Time), &e.Actor, &e.Action, &e.AppID, &e.Target, &e.Detail)
		return e, err
	})
}

// PruneAudit implements storage.AuditLog. Each statement finds the rows to
// delete through an index (occurred_at, or seq below the newest) and stops
// at the limit.
func (s Store) PruneAudit(ctx context.Context, p storage.AuditPrune) (int, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	if due, err := s.auditPruneDue(ctx, p); err != nil || !due {
		return 0, err
	}
	var deleted int64
	err := s.write(ctx, nil, func(tx Querier) ([]storage.Change, error) {
		deleted = 0
		if !p.Before.IsZero() {
			n, err := tx.Exec(ctx, `DELETE FROM audit_log WHERE seq IN
				(SELECT seq FROM audit_log WHERE occurred_at < $1 ORDER BY occurred_at LIMIT $2)`, s.d.Time(p.Before), p.Limit)
			if err != nil {
				return nil, s.d.Fail("prune audit", err)
			}
			deleted += n
		}
		if p.Keep > 0 && deleted < int64(p.Limit) {
			n, err := tx.Exec(ctx, `DELETE FROM audit_log WHERE seq IN
				(SELECT seq FROM audit_log WHERE seq <= (SELECT max(seq) FROM audit_log) - $1 ORDER BY seq LIMIT $2)`, p.Keep, int64(p.Limit)-deleted)
			if err != nil {
				return nil, s.d.Fail("prune audit", err)
			}
			deleted += n
		}
		return nil, nil
	})
	return int(deleted), err
}

// auditPruneDue reports, by reading the ends of two indexes, whether p
// selects any entry.
func (s Store) auditPruneDue(ctx context.Context, p storage.AuditPrune) (bool, error) {
	var oldest time.Time
	var first, last int64
	err := s.db.QueryRow(ctx, `SELECT (SELECT min(occurred_at) FROM audit_log),
		(SELECT COALESCE(min(seq), 0) FROM audit_log), (SELECT COALESCE(max(seq), 0) FROM audit_log)`).
		Scan(s.d.ScanTime(&oldest), &first, &last)
	if err != nil {
		return false, s.d.Fail("prune audit", err)
	}
	if oldest.IsZero() {
		return false, nil
	}
	return (!p.Before.IsZero() && oldest.Before(s.d.Stamp(p.Before))) || (p.Keep > 0 && first <= last-p.Keep), nil
}

// where is the WHERE clause of a query built from the conditions that
// apply, with their arguments numbered in order.
type where struct {
	conds []string
	args  []any
}

// arg adds v as the next argument and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// add adds a condition.
func (w *where) add(cond string) { w.conds = append(w.conds, cond) }

// clause returns " WHERE " and the conditions joined, or "" for none.
func (w *where) clause() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}
