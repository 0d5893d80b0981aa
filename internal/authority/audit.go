package authority

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// Pages of the audit log: their size when none is asked for, and the most
// one page holds.
const (
	DefaultAuditPage = 100
	MaxAuditPage     = 1000
)

// AuditQuery selects a page of the audit log: the entries that match every
// filter given, in the order they happened, newest first unless
// OldestFirst.
type AuditQuery struct {
	// AppID, Action and Actor keep only the entries of that app, action or
	// actor, compared exactly; empty keeps every entry.
	AppID  string
	Action string
	Actor  string
	// Since keeps only the entries that happened at or after it, Until
	// those that happened before it; zero leaves that end open.
	Since time.Time
	Until time.Time
	// Cursor continues a listing: the Next of the page before, asked with
	// the same filters and order.
	Cursor      string
	OldestFirst bool
	// Limit is the page's size: DefaultAuditPage when zero, at most
	// MaxAuditPage.
	Limit int
}

// AuditPage is a page of the audit log.
type AuditPage struct {
	Entries []AuditEntry
	// Next is the cursor of the following page; empty on the last one.
	Next string
}

// Audit returns a page of the audit log. Each filter alone, and an app
// with an action, is served by an index of the store in the page's order,
// so such a page costs the same whether the log holds a thousand entries
// or a billion.
func (a *Authority) Audit(ctx context.Context, q AuditQuery) (AuditPage, error) {
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultAuditPage
	case limit < 0 || limit > MaxAuditPage:
		return AuditPage{}, invalid("limit", "must be between 1 and %d", MaxAuditPage)
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return AuditPage{}, invalid("until", "must be after since")
	}
	after, err := parseAuditCursor(q.Cursor)
	if err != nil {
		return AuditPage{}, err
	}
	entries, err := a.store.ListAudit(ctx, storage.AuditQuery{
		AppID: q.AppID, Action: q.Action, Actor: q.Actor, Since: q.Since, Until: q.Until,
		After: after, Newest: !q.OldestFirst, Limit: limit + 1,
	})
	if err != nil {
		return AuditPage{}, err
	}
	var page AuditPage
	if len(entries) > limit {
		entries = entries[:limit]
		page.Next = auditCursor(entries[limit-1].Position())
	}
	page.Entries = make([]AuditEntry, len(entries))
	for i, e := range entries {
		page.Entries[i] = AuditEntry{Seq: e.Seq, Time: e.Time, Actor: e.Actor, Action: e.Action, AppID: e.AppID, Target: e.Target, Detail: e.Detail}
	}
	return page, nil
}

// auditCursor spells the position of an entry as a cursor: its time in
// Unix microseconds, a dot, its sequence number.
func auditCursor(p storage.AuditPosition) string {
	return strconv.FormatInt(p.Time.UnixMicro(), 10) + "." + strconv.FormatInt(p.Seq, 10)
}

// parseAuditCursor reads a cursor auditCursor spelled, refusing any other
// spelling; the empty cursor is the start of a listing.
func parseAuditCursor(s string) (storage.AuditPosition, error) {
	if s == "" {
		return storage.AuditPosition{}, nil
	}
	micros, seq, _ := strings.Cut(s, ".")
	t, errT := strconv.ParseInt(micros, 10, 64)
	n, errN := strconv.ParseInt(seq, 10, 64)
	p := storage.AuditPosition{Time: time.UnixMicro(t).UTC(), Seq: n}
	if errT != nil || errN != nil || n <= 0 || auditCursor(p) != s {
		return storage.AuditPosition{}, invalid("cursor", "must be the next cursor of a page of the audit log")
	}
	return p, nil
}

// DefaultAuditRetention is how long the audit log keeps its entries unless
// told otherwise: 90 days, the span security reviews and incident
// investigations usually look back over, and a common minimum of audit
// policies.
const DefaultAuditRetention = 90 * 24 * time.Hour

// AuditRetention bounds the audit log. The zero value keeps every entry.
type AuditRetention struct {
	// MaxAge deletes the entries older than it; zero keeps entries of any
	// age.
	MaxAge time.Duration
	// MaxEntries keeps at most this many entries, the newest; zero keeps
	// any number.
	MaxEntries int64
}

// auditPruneBatch is how many entries one transaction of the retention
// deletes: a few milliseconds of work, so that writers queued behind it
// (on SQLite, every writer of the process) wait no longer than that.
const auditPruneBatch = 1000

// auditPruneRest is how long the retention rests after each batch, as a
// multiple of the time the batch took: however far behind it is, it holds
// the database's writer at most a quarter of the time, and writers
// queued behind a batch go first.
const auditPruneRest = 3

// retainAudit applies the retention every poll interval until ctx ends. A
// failed pass is logged when the store goes away and when it comes back.
func (a *Authority) retainAudit(ctx context.Context) {
	defer close(a.retained)
	if a.retention == (AuditRetention{}) {
		return
	}
	tick := time.NewTicker(a.poll)
	defer tick.Stop()
	f := failures{log: a.log, failed: "deleting audit entries past the retention failed; trying again", recovered: "deleting audit entries past the retention works again"}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n, err := a.PruneAudit(ctx)
		f.note(ctx, err)
		if n > 0 {
			a.log.Debug("deleted audit entries past the retention", "entries", n)
		}
	}
}

// PruneAudit deletes the audit entries the retention no longer keeps, by
// the authority's clock, in batches of auditPruneBatch, each its own
// transaction followed by a rest (auditPruneRest) timed by that clock, and
// returns how many it deleted. Tests that move the clock call it to know
// a pass ran.
func (a *Authority) PruneAudit(ctx context.Context) (int, error) {
	p := storage.AuditPrune{Keep: a.retention.MaxEntries, Limit: auditPruneBatch}
	if a.retention.MaxAge > 0 {
		p.Before = a.now().Add(-a.retention.MaxAge)
	}
	if p.Before.IsZero() && p.Keep == 0 {
		return 0, nil
	}
	total := 0
	for {
		start := a.now()
		n, err := a.store.PruneAudit(ctx, p)
		total += n
		if err != nil || n < p.Limit {
			return total, err
		}
		rest := time.NewTimer(auditPruneRest * a.now().Sub(start))
		select {
		case <-ctx.Done():
			rest.Stop()
			return total, context.Cause(ctx)
		case <-rest.C:
		}
	}
}
