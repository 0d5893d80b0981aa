package authority

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// auditWriter appends frequent audit entries (tokens minted) off the
// request path, so that minting does not wait on a durable commit. Entries
// queue in memory and are written in order; close flushes what is queued.
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
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// flushGap is the least time between two writes of queued entries.
const flushGap = 20 * time.Millisecond

// run writes queued entries until ctx ends, then flushes.
func (w *auditWriter) run(ctx context.Context) {
	defer close(w.done)
	for {
		select {
		case <-ctx.Done():
			w.flush(context.WithoutCancel(ctx))
			return
		case <-w.wake:
			w.flush(ctx)
			// Let entries gather: one transaction for many mints costs
			// little more than one for a single mint.
			select {
			case <-ctx.Done():
			case <-time.After(flushGap):
			}
		}
	}
}

func (w *auditWriter) flush(ctx context.Context) {
	w.mu.Lock()
	batch := w.queue
	w.queue = nil
	w.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	if err := w.store.AppendAuditBatch(ctx, batch); err != nil {
		w.log.Error("audit entries lost", "count", len(batch), "err", err)
	}
}

// close waits for run to finish flushing; ctx of run must be done.
func (w *auditWriter) close() { <-w.done }
