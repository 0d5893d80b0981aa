package authority

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// auditWriter appends frequent audit entries (tokens minted) off the
// request path, so that minting does not wait on a durable commit. Entries
// queue in memory and are written in order; close flushes what is queued.
// While the store is unavailable entries stay queued, up to maxQueued, and
// are written when it is back.
type auditWriter struct {
	store storage.AuditLog
	log   *slog.Logger

	mu    sync.Mutex
	queue []storage.AuditEntry
	wake  chan struct{}
	done  chan struct{}
}

func newAuditWriter(store storage.AuditLog, log *slog.Logger) *auditWriter {
	return &auditWriter{store: store, log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (w *auditWriter) add(e storage.AuditEntry) {
	w.mu.Lock()
	w.queue = append(w.queue, e)
	w.mu.Unlock()
	w.signal()
}

// flushGap is the least time between two writes of queued entries;
// retryGap the time between attempts while the store is unavailable.
const (
	flushGap = 20 * time.Millisecond
	retryGap = 500 * time.Millisecond
)

// maxQueued bounds the entries kept while the store is unavailable.
const maxQueued = 100_000

// run writes queued entries until ctx ends, then flushes.
func (w *auditWriter) run(ctx context.Context) {
	defer close(w.done)
	for {
		select {
		case <-ctx.Done():
			w.flush(context.WithoutCancel(ctx), true)
			return
		case <-w.wake:
			// Let entries gather: one transaction for many mints costs
			// little more than one for a single mint.
			gap := flushGap
			if !w.flush(ctx, false) {
				gap = retryGap
				w.signal()
			}
			select {
			case <-ctx.Done():
			case <-time.After(gap):
			}
		}
	}
}

func (w *auditWriter) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// flush writes the queued entries and reports false if the store was
// unavailable, in which case they are queued again in front of newer ones
// unless this is the final flush.
func (w *auditWriter) flush(ctx context.Context, final bool) bool {
	w.mu.Lock()
	batch := w.queue
	w.queue = nil
	w.mu.Unlock()
	if len(batch) == 0 {
		return true
	}
	err := w.store.AppendAuditBatch(ctx, batch)
	if err == nil {
		return true
	}
	if final || ctx.Err() != nil || !errors.Is(err, storage.ErrUnavailable) {
		w.log.Error("audit entries lost", "count", len(batch), "err", err)
		return true
	}
	w.mu.Lock()
	w.queue = append(batch, w.queue...)
	if over := len(w.queue) - maxQueued; over > 0 {
		w.queue = w.queue[over:]
		w.log.Error("audit entries lost while the store is unavailable", "count", over)
	}
	w.mu.Unlock()
	return false
}

// close waits for run to finish flushing; ctx of run must be done.
func (w *auditWriter) close() { <-w.done }
