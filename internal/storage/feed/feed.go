// Package feed fans committed storage changes out to in-process subscribers.
// Backends publish to a Hub after each commit, or on each notification from
// the database, and hand out its subscriptions from Storage.Changes.
package feed

import (
	"context"
	"errors"
	"sync"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// ErrClosed reports a subscription to a closed Hub.
var ErrClosed = errors.New("feed: closed")

// maxPending is how many undelivered changes a subscriber may have before
// they are replaced by a single resync.
const maxPending = 256

// Hub fans changes out to subscribers. Publishing never blocks: a subscriber
// that falls more than maxPending changes behind gets a storage.ChangeResync
// in place of the changes it missed.
type Hub struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
}

// NewHub returns a Hub with no subscribers.
func NewHub() *Hub {
	return &Hub{subs: make(map[*subscriber]struct{})}
}

// Subscribe returns a channel of the changes published from now on. It is
// closed when ctx is done or the hub is closed.
func (h *Hub) Subscribe(ctx context.Context) (<-chan storage.Change, error) {
	s := &subscriber{wake: make(chan struct{}, 1), done: make(chan struct{})}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()

	out := make(chan storage.Change)
	go func() {
		defer close(out)
		defer h.remove(s)
		s.deliver(ctx, out)
	}()
	return out, nil
}

// Publish hands changes to every subscriber.
func (h *Hub) Publish(changes ...storage.Change) {
	if len(changes) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.push(changes)
	}
}

// Close ends every subscription and refuses new ones.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for s := range h.subs {
		close(s.done)
	}
	clear(h.subs)
}

func (h *Hub) remove(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
}

// subscriber queues the changes not yet delivered to one subscription.
type subscriber struct {
	mu      sync.Mutex
	pending []storage.Change
	wake    chan struct{}
	done    chan struct{}
}

func (s *subscriber) push(changes []storage.Change) {
	s.mu.Lock()
	if len(s.pending)+len(changes) > maxPending {
		s.pending = append(s.pending[:0], storage.Change{Kind: storage.ChangeResync})
	} else {
		s.pending = append(s.pending, changes...)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscriber) deliver(ctx context.Context, out chan<- storage.Change) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-s.wake:
		}
		s.mu.Lock()
		batch := s.pending
		s.pending = nil
		s.mu.Unlock()
		for _, c := range batch {
			select {
			case out <- c:
			case <-ctx.Done():
				return
			case <-s.done:
				return
			}
		}
	}
}
