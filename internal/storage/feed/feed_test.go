package feed

import (
	"errors"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

func receive(t *testing.T, ch <-chan storage.Change) storage.Change {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no change")
		return storage.Change{}
	}
}

func TestPublishInOrder(t *testing.T) {
	h := NewHub()
	defer h.Close()
	ch, err := h.Subscribe(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 3; i++ {
		h.Publish(storage.Change{Kind: storage.ChangeRevocation, Cursor: i})
	}
	for i := int64(1); i <= 3; i++ {
		if c := receive(t, ch); c.Cursor != i {
			t.Fatalf("got cursor %d, want %d", c.Cursor, i)
		}
	}
}

// A subscriber that falls more than maxPending changes behind gets one
// resync in place of what it missed, then the changes after it. The
// subscriber is driven directly, so that how far behind it falls does not
// depend on when its delivery goroutine runs.
func TestSlowSubscriberGetsResync(t *testing.T) {
	s := &subscriber{wake: make(chan struct{}, 1), done: make(chan struct{})}
	for i := range 2*maxPending + 1 {
		s.push([]storage.Change{{Kind: storage.ChangeRevocation, Cursor: int64(i)}})
	}
	s.push([]storage.Change{{Kind: storage.ChangeRole}})
	out := make(chan storage.Change)
	go s.deliver(t.Context(), out)
	if c := receive(t, out); c.Kind != storage.ChangeResync {
		t.Fatalf("after overflow got %+v, want a resync", c)
	}
	if c := receive(t, out); c.Kind != storage.ChangeRole {
		t.Fatalf("after resync got %+v, want the role change", c)
	}
}

func TestCloseEndsSubscriptions(t *testing.T) {
	h := NewHub()
	ch, err := h.Subscribe(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("got a change after close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("subscription still open after close")
	}
	if _, err := h.Subscribe(t.Context()); !errors.Is(err, ErrClosed) {
		t.Fatalf("subscribe after close: %v", err)
	}
}
