package storage

import (
	"context"
	"fmt"
	"time"
)

// AuditEntry records who did what. Detail never carries secrets.
type AuditEntry struct {
	// Seq is assigned by the store, increasing.
	Seq int64
	// Time is when it happened; zero means now.
	Time time.Time
	// Actor is who did it, such as "api_key:abc" or "cli".
	Actor string
	// Action is what was done, such as "key.revoke".
	Action string
	// AppID is the app concerned, if any.
	AppID string
	// Target is the subject or object of the action, if any.
	Target string
	// Detail is the caller's serialised JSON detail, opaque to the store.
	Detail []byte
}

// Validate reports ErrInvalid if the entry lacks an actor or an action.
func (e AuditEntry) Validate() error {
	if e.Actor == "" || e.Action == "" {
		return fmt.Errorf("audit entry needs an actor and an action: %w", ErrInvalid)
	}
	return nil
}

// AuditQuery selects a page of the audit log: the entries that match every
// filter given, in the order they happened (by Time, then by Seq among
// entries of the same time), oldest first unless Newest.
type AuditQuery struct {
	// AppID, Action and Actor keep only the entries of that app, action or
	// actor; empty keeps every entry.
	AppID  string
	Action string
	Actor  string
	// Since keeps only the entries that happened at or after it; zero
	// keeps every entry.
	Since time.Time
	// Until keeps only the entries that happened before it; zero keeps
	// every entry.
	Until time.Time
	// After continues a listing: only the entries past this position, in
	// the query's order, are kept. The zero position starts at the
	// beginning.
	After AuditPosition
	// Newest lists the newest entries first.
	Newest bool
	// Limit caps how many are returned; zero or less means no cap.
	Limit int
}

// AuditPosition is where an entry stands in the audit log's order: its
// Time, then its Seq.
type AuditPosition struct {
	Time time.Time
	Seq  int64
}

// IsZero reports whether p is the zero position, the start of a listing.
func (p AuditPosition) IsZero() bool { return p.Time.IsZero() && p.Seq == 0 }

// Position returns where e stands in the audit log's order.
func (e AuditEntry) Position() AuditPosition { return AuditPosition{Time: e.Time, Seq: e.Seq} }

// AuditPrune selects the entries PruneAudit deletes: those that happened
// before Before, and those numbered more than Keep below the newest.
type AuditPrune struct {
	// Before deletes the entries that happened before it; zero deletes
	// none by age.
	Before time.Time
	// Keep deletes the entries whose Seq is more than Keep below the
	// newest entry's, so that at most Keep remain; zero deletes none by
	// number.
	Keep int64
	// Limit caps how many entries one call deletes, keeping its
	// transaction short; it must be positive.
	Limit int
}

// Validate reports ErrInvalid if p has no positive Limit or a negative Keep.
func (p AuditPrune) Validate() error {
	if p.Limit <= 0 || p.Keep < 0 {
		return fmt.Errorf("audit prune needs a positive limit and a keep of zero or more: %w", ErrInvalid)
	}
	return nil
}

// AuditLog stores the audit log.
type AuditLog interface {
	// AppendAudit stores e, ignoring its Seq, and returns it as stored.
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	// AppendAuditBatch stores entries in order in one transaction: all of
	// them or, if one is invalid, none. It is for frequent events, such as
	// tokens being minted, whose entries are queued and written together.
	AppendAuditBatch(ctx context.Context, entries []AuditEntry) error
	// ListAudit returns the entries q selects, in q's order. Each filter
	// alone, and an app with an action, is served by an index in that
	// order, so such a page costs the same at any size of the log.
	ListAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
	// PruneAudit deletes, oldest first, at most p.Limit of the entries p
	// selects, in one write transaction, and returns how many it deleted.
	// When none is selected it only reads.
	PruneAudit(ctx context.Context, p AuditPrune) (int, error)
}
