// Package fanout serves many readers of ordered logs from memory. For each
// log that has readers, one feed reads every new entry once from the log
// into a bounded ring, and the readers are served from the ring. A reader
// that starts behind the ring (it resumes from an older position) reads the
// log itself until it catches up; a reader that had caught up and fell
// behind the ring again is cut off with ErrLapped, so that it neither holds
// entries for longer than the ring does nor loads the log: it may resume
// from its position with a new reader. A feed, its ring and its goroutine
// go when its last reader closes.
package fanout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// ErrLapped reports a reader that had caught up and then fell further
// behind than the ring holds.
var ErrLapped = errors.New("fanout: the reader fell further behind than the ring holds")

// Defaults of Config.
const (
	DefaultRing  = 1024
	DefaultPage  = 500
	DefaultRetry = time.Second
)

// Config says how to read the logs, which K names.
type Config[K comparable, E any] struct {
	// Head returns the position of log k's newest entry, 0 if it has none.
	Head func(ctx context.Context, k K) (int64, error)
	// Read returns log k's entries after pos, oldest first, at most limit.
	// Positions strictly increase, and an entry is readable only once
	// every entry before it is: a read from pos misses nothing after pos.
	Read func(ctx context.Context, k K, after int64, limit int) ([]E, error)
	// Pos is an entry's position.
	Pos func(E) int64
	// Ring caps the entries a feed keeps; default DefaultRing.
	Ring int
	// Page caps the entries one read of the log asks for, and one
	// Reader.Read returns; default DefaultPage.
	Page int
	// Retry is how long a feed whose read failed waits before it tries
	// again, unless woken first; default DefaultRetry.
	Retry time.Duration
	// Logger hears of a feed's failed reads: the first of a run, and the
	// success that ends it.
	Logger *slog.Logger
}

// Hub holds the feeds of the logs that have readers. It is safe for
// concurrent use.
type Hub[K comparable, E any] struct {
	cfg   Config[K, E]
	mu    sync.Mutex
	feeds map[K]*feed[K, E]
}

// New returns a Hub with no feeds.
func New[K comparable, E any](cfg Config[K, E]) *Hub[K, E] {
	if cfg.Ring <= 0 {
		cfg.Ring = DefaultRing
	}
	if cfg.Page <= 0 {
		cfg.Page = DefaultPage
	}
	if cfg.Retry <= 0 {
		cfg.Retry = DefaultRetry
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Hub[K, E]{cfg: cfg, feeds: make(map[K]*feed[K, E])}
}

// Subscribe returns a reader of log k whose first entry is the first after
// pos. The log's feed starts with its first reader.
func (h *Hub[K, E]) Subscribe(k K, pos int64) *Reader[K, E] {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.feeds[k]
	if f == nil {
		f = newFeed(h, k)
		h.feeds[k] = f
		go f.watch()
	}
	r := &Reader[K, E]{f: f}
	r.pos.Store(pos)
	f.readers[r] = struct{}{}
	return r
}

// Wake tells the feed of log k, if it has one, that the log has new
// entries.
func (h *Hub[K, E]) Wake(k K) {
	h.mu.Lock()
	f := h.feeds[k]
	h.mu.Unlock()
	if f != nil {
		f.poke()
	}
}

// WakeAll tells every feed to look for new entries, as after notices of
// new entries may have been lost.
func (h *Hub[K, E]) WakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range h.feeds {
		f.poke()
	}
}

// Trim drops from every ring the entries all of its readers have read; a
// reader that comes later from before them reads them from the log.
func (h *Hub[K, E]) Trim() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range h.feeds {
		least := int64(math.MaxInt64)
		for r := range f.readers {
			least = min(least, r.pos.Load())
		}
		f.mu.Lock()
		f.trim(least)
		f.mu.Unlock()
	}
}

// Feeds is how many logs have readers.
func (h *Hub[K, E]) Feeds() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.feeds)
}

// feed follows one log for its readers.
type feed[K comparable, E any] struct {
	h *Hub[K, E]
	k K
	// readers is guarded by h.mu.
	readers map[*Reader[K, E]]struct{}
	// wake holds a request to read the log.
	wake chan struct{}
	// ctx ends the watcher; stop ends ctx.
	ctx  context.Context
	stop context.CancelFunc

	// starting makes one reader or the watcher read where the log is,
	// and the others wait for it.
	starting sync.Mutex

	mu sync.RWMutex
	// ready says that the log's head was read: floor and last hold.
	ready bool
	// The ring holds every entry of the log in (floor, last].
	floor, last int64
	ring        ring[E]
	// changed is closed, and replaced, when entries are added.
	changed chan struct{}
}

func newFeed[K comparable, E any](h *Hub[K, E], k K) *feed[K, E] {
	f := &feed[K, E]{h: h, k: k, readers: make(map[*Reader[K, E]]struct{}),
		wake: make(chan struct{}, 1), changed: make(chan struct{})}
	f.ctx, f.stop = context.WithCancel(context.Background())
	f.wake <- struct{}{}
	return f
}

func (f *feed[K, E]) isReady() bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.ready
}

func (f *feed[K, E]) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// watch reads the log when woken, until the feed's last reader leaves. A
// failed read is tried again after Retry, or when woken.
func (f *feed[K, E]) watch() {
	failing := false
	var retry <-chan time.Time
	for {
		select {
		case <-f.ctx.Done():
			return
		case <-f.wake:
		case <-retry:
		}
		retry = nil
		err := f.pull()
		switch {
		case f.ctx.Err() != nil:
		case err != nil:
			if !failing {
				f.h.cfg.Logger.Warn("following a log failed; trying again", "log", fmt.Sprint(f.k), "err", err)
			}
			failing = true
			retry = time.After(f.h.cfg.Retry)
		case failing:
			failing = false
			f.h.cfg.Logger.Info("following a log works again", "log", fmt.Sprint(f.k))
		}
	}
}

// start reads where the log is, once: the ring starts empty there. Once
// it was read, readers, which all call start on every Read, share only a
// read lock.
func (f *feed[K, E]) start(ctx context.Context) error {
	if f.isReady() {
		return nil
	}
	f.starting.Lock()
	defer f.starting.Unlock()
	if f.isReady() {
		return nil
	}
	head, err := f.h.cfg.Head(ctx, f.k)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.ready, f.floor, f.last = true, head, head
	f.mu.Unlock()
	return nil
}

// pull reads where the log is if not known yet, then every entry after
// the newest in the ring.
func (f *feed[K, E]) pull() error {
	cfg := &f.h.cfg
	if err := f.start(f.ctx); err != nil {
		return err
	}
	f.mu.RLock()
	after := f.last
	f.mu.RUnlock()
	for {
		es, err := cfg.Read(f.ctx, f.k, after, cfg.Page)
		if err != nil {
			return err
		}
		if len(es) == 0 {
			return nil
		}
		f.mu.Lock()
		f.add(es)
		f.broadcast()
		after = f.last
		f.mu.Unlock()
		if len(es) < cfg.Page {
			return nil
		}
	}
}

// add appends entries read after last to the ring, dropping the oldest
// beyond its cap.
func (f *feed[K, E]) add(es []E) {
	cfg := &f.h.cfg
	for _, e := range es {
		p := cfg.Pos(e)
		if p <= f.last {
			continue
		}
		if f.ring.len() == cfg.Ring {
			f.floor = cfg.Pos(f.ring.pop())
		}
		f.ring.push(e, cfg.Ring)
		f.last = p
	}
}

// trim drops the entries at or before least, which every reader has read.
func (f *feed[K, E]) trim(least int64) {
	if !f.ready {
		return
	}
	least = min(least, f.last)
	if least <= f.floor {
		return
	}
	for f.ring.len() > 0 && f.h.cfg.Pos(f.ring.front()) <= least {
		f.ring.pop()
	}
	f.floor = least
	f.ring.shrink()
}

func (f *feed[K, E]) broadcast() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// Reader reads one log through its feed, from its own position. It is not
// safe for concurrent use; Close it when done.
type Reader[K comparable, E any] struct {
	f *feed[K, E]
	// pos is the position of the last entry read; Trim reads it.
	pos atomic.Int64
	// live says that the reader has caught up with the ring once.
	live   bool
	closed bool
}

// Pos is the position of the last entry read, or the position the reader
// started from.
func (r *Reader[K, E]) Pos() int64 { return r.pos.Load() }

// Changed returns a channel that is closed once the feed holds entries it
// did not hold when Changed was called. Take it before Read, and wait on it
// when Read returned nothing.
func (r *Reader[K, E]) Changed() <-chan struct{} {
	r.f.mu.RLock()
	defer r.f.mu.RUnlock()
	return r.f.changed
}

// Read returns the entries after the reader's position that are there now,
// at most Page, and moves past them: from the ring, or from the log while
// the reader is behind the ring. None means none for now. The first read
// of a feed waits for it to read where the log is. Read returns ErrLapped
// once the reader, after it caught up with the ring, fell behind it.
func (r *Reader[K, E]) Read(ctx context.Context) ([]E, error) {
	f, cfg := r.f, &r.f.h.cfg
	if err := f.start(ctx); err != nil {
		return nil, err
	}
	pos := r.pos.Load()
	f.mu.RLock()
	if pos >= f.floor {
		out := f.ring.after(pos, cfg.Page, cfg.Pos)
		f.mu.RUnlock()
		r.live = true
		if len(out) > 0 {
			r.pos.Store(cfg.Pos(out[len(out)-1]))
		}
		return out, nil
	}
	last := f.last
	f.mu.RUnlock()
	if r.live {
		return nil, ErrLapped
	}
	es, err := cfg.Read(ctx, f.k, pos, cfg.Page)
	if err != nil {
		return nil, err
	}
	next := pos
	if len(es) > 0 {
		next = cfg.Pos(es[len(es)-1])
	}
	if len(es) < cfg.Page {
		// Every entry up to last was in the log before this read, so the
		// read returned all of them the log still keeps: the reader has
		// caught up.
		next = max(next, last)
		r.live = true
	}
	r.pos.Store(next)
	return es, nil
}

// Close ends the reader; the feed ends with its last reader.
func (r *Reader[K, E]) Close() {
	h, f := r.f.h, r.f
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	delete(f.readers, r)
	if len(f.readers) == 0 {
		delete(h.feeds, f.k)
		f.stop()
	}
}
