package authority_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// sessionReads records the apps whose sessions were listed, and tells
// everyApp when the sessions of every app were.
type sessionReads struct {
	storage.Storage
	everyApp chan struct{}
	mu       sync.Mutex
	apps     []string
}

func (s *sessionReads) ListSessions(ctx context.Context, appID, room string) ([]storage.Session, error) {
	s.mu.Lock()
	s.apps = append(s.apps, appID)
	s.mu.Unlock()
	if appID == "" {
		select {
		case s.everyApp <- struct{}{}:
		default:
		}
	}
	return s.Storage.ListSessions(ctx, appID, room)
}

// take returns the apps listed since the last take.
func (s *sessionReads) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.apps
	s.apps = nil
	return out
}

// TestSweepChecksOnlyAppsWithRevocations: after a first pass over every
// app, read at once, the sweep lists the sessions of the apps with new
// revocations only, however many apps there are.
func TestSweepChecksOnlyAppsWithRevocations(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		reads := &sessionReads{Storage: open(t), everyApp: make(chan struct{}, 1)}
		n := newNode(t, reads)
		ctx := t.Context()
		if _, err := n.auth.CreateApp(ctx, authority.AsOperator("test"), "other"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-reads.everyApp:
		case <-time.After(10 * time.Second):
			t.Fatal("no first pass over every app within 10 s")
		}
		if got := reads.take(); !slices.Contains(got, "") {
			t.Fatalf("the first pass listed the sessions of %q, want every app's", got)
		}
		if err := n.auth.SweepSessions(ctx); err != nil {
			t.Fatal(err)
		}
		if got := reads.take(); len(got) != 0 {
			t.Fatalf("a pass with no new revocation listed the sessions of %q", got)
		}
		if _, err := n.auth.Revoke(ctx, authority.AsKey(n.prod), authority.RevokeRequest{UserID: "alice"}); err != nil {
			t.Fatal(err)
		}
		if err := n.auth.SweepSessions(ctx); err != nil {
			t.Fatal(err)
		}
		for _, app := range reads.take() {
			if app != n.app {
				t.Errorf("after a revocation in %s, the sessions of %q were listed", n.app, app)
			}
		}
	})
}
