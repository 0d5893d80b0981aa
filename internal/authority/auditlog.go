package authority

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// auditLog commits frequent audit entries (tokens minted) in groups. Each
// caller queues its entry and waits until the transaction holding it has
// committed, so no answer is given for an act whose record could still be
// lost, by a crash or by a full disk. One writer takes everything queued
// while the previous group was being committed and writes it in one
// transaction: under load many entries share a commit, and alone an entry
// waits for one commit only.
type auditLog struct {
	store auditStore

	mu sync.Mutex
	// next gathers the entries of the next commit; nil when none waits.
	next *auditGroup
	// closed refuses entries once the final group was taken.
	closed bool
	wake   chan struct{}
	done   chan struct{}
}

// auditGroup is entries committed together, and the outcome their callers
// wait for: err is set before done is closed.
type auditGroup struct {
	entries []storage.AuditEntry
	done    chan struct{}
	err     error
}

// auditStore is where an auditLog commits its groups.
type auditStore interface {
	AppendAuditBatch(ctx context.Context, entries []storage.AuditEntry) error
}

func newAuditLog(store auditStore) *auditLog {
	return &auditLog{store: store, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// append queues e and returns once it is committed. An entry that could not
// be written is reported as ErrUnavailable: what it records must then not
// happen, and the caller may try again. A caller whose ctx ends stops
// waiting with an error, but its entry is committed with its group all the
// same, since it may share that commit with others.
func (l *auditLog) append(ctx context.Context, e storage.AuditEntry) error {
	g, err := l.enqueue(e)
	if err != nil {
		return err
	}
	return g.wait(ctx)
}

// enqueue queues e for the next commit and returns the group holding it.
func (l *auditLog) enqueue(e storage.AuditEntry) (*auditGroup, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, fmt.Errorf("audit log: closed: %w", ErrUnavailable)
	}
	g := l.next
	if g == nil {
		g = &auditGroup{done: make(chan struct{})}
		l.next = g
	}
	g.entries = append(g.entries, e)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return g, nil
}

// wait returns the outcome of g's commit, or an error once ctx ends.
func (g *auditGroup) wait(ctx context.Context) error {
	select {
	case <-g.done:
		return g.err
	case <-ctx.Done():
		return fmt.Errorf("audit log: waiting for the commit: %w", context.Cause(ctx))
	}
}

// run commits queued groups until ctx ends, then commits the last one and
// refuses further entries. Commits are not cut short when ctx ends: their
// callers are waiting for them.
func (l *auditLog) run(ctx context.Context) {
	defer close(l.done)
	commitCtx := context.WithoutCancel(ctx)
	for {
		select {
		case <-ctx.Done():
			l.commit(commitCtx, l.take(true))
			return
		case <-l.wake:
			l.commit(commitCtx, l.take(false))
		}
	}
}

// take removes the group gathered so far, and closes the log if last.
func (l *auditLog) take(last bool) *auditGroup {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.next
	l.next = nil
	l.closed = l.closed || last
	return g
}

// commit writes g, if any, and releases its callers with the outcome.
func (l *auditLog) commit(ctx context.Context, g *auditGroup) {
	if g == nil {
		return
	}
	err := l.store.AppendAuditBatch(ctx, g.entries)
	if err != nil && !errors.Is(err, ErrUnavailable) {
		err = fmt.Errorf("audit log: %w: %w", ErrUnavailable, err)
	}
	g.err = err
	close(g.done)
}

// close waits for run to commit the last group; ctx of run must be done.
func (l *auditLog) close() { <-l.done }
