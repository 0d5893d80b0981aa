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

// AuditQuery selects audit entries to list.
type AuditQuery struct {
	// AfterSeq keeps only entries with a greater Seq.
	AfterSeq int64
	// AppID keeps only one app's entries; empty keeps every entry.
	AppID string
	// Limit caps how many are returned; zero or less means no cap.
	Limit int
}

// AuditLog stores the audit log.
type AuditLog interface {
	// AppendAudit stores e, ignoring its Seq, and returns it as stored.
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	// AppendAuditBatch stores entries in order in one transaction: all of
	// them or, if one is invalid, none. It is for frequent events, such as
	// tokens being minted, whose entries are queued and written together.
	AppendAuditBatch(ctx context.Context, entries []AuditEntry) error
	// ListAudit returns the entries q selects, ordered by Seq.
	ListAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
}
