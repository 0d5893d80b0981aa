package authority_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/sqlite"
)

// probedStore counts the store's write probes, and fails them on demand.
type probedStore struct {
	storage.Storage
	pings   atomic.Int64
	failing atomic.Bool
}

func (s *probedStore) Ping(ctx context.Context) error {
	s.pings.Add(1)
	if s.failing.Load() {
		return fmt.Errorf("sqlite: ping: %w: database or disk is full (13)", storage.ErrUnavailable)
	}
	return s.Storage.Ping(ctx)
}

// TestReadyProbesWritesOncePerSecond checks that readiness is the outcome of
// the store's write probe, taken at most once a second however often and
// however many callers ask at once.
func TestReadyProbesWritesOncePerSecond(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "stagedoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := &probedStore{Storage: db}
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	advance := func(d time.Duration) {
		mu.Lock()
		now = now.Add(d)
		mu.Unlock()
	}
	a := authority.New(authority.Config{Store: store, Now: clock})
	ready := func(want error, pings int64) {
		t.Helper()
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if err := a.Ready(t.Context()); !errors.Is(err, want) {
					t.Errorf("Ready: %v, want %v", err, want)
				}
			})
		}
		wg.Wait()
		if got := store.pings.Load(); got != pings {
			t.Fatalf("%d probes, want %d", got, pings)
		}
	}

	ready(nil, 1)
	store.failing.Store(true)
	advance(999 * time.Millisecond)
	ready(nil, 1)
	advance(time.Millisecond)
	ready(authority.ErrUnavailable, 2)
	store.failing.Store(false)
	advance(999 * time.Millisecond)
	ready(authority.ErrUnavailable, 2)
	advance(time.Millisecond)
	ready(nil, 3)
	advance(-time.Hour)
	ready(nil, 4)
}
