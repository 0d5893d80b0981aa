package authority_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/secret"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/testclock"
)

// seedAudit appends n mint entries, one a millisecond from start on, in
// one batch, and returns their targets in order.
func seedAudit(t *testing.T, s storage.Storage, start time.Time, n int, prefix string) []string {
	t.Helper()
	entries := make([]storage.AuditEntry, n)
	targets := make([]string, n)
	for i := range entries {
		targets[i] = fmt.Sprintf("%s-%d", prefix, i)
		entries[i] = storage.AuditEntry{Time: start.Add(time.Duration(i) * time.Millisecond), Actor: "api_key:k", Action: "token.mint", AppID: "app1", Target: targets[i]}
	}
	if err := s.AppendAuditBatch(t.Context(), entries); err != nil {
		t.Fatal(err)
	}
	return targets
}

// auditTargets lists the targets of the whole audit log, oldest first.
func auditTargets(t *testing.T, s storage.Storage) []string {
	t.Helper()
	entries, err := s.ListAudit(t.Context(), storage.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Target)
	}
	return out
}

// TestAuditRetentionByAge deletes, in batches, the entries older than the
// retention by the authority's clock, and only those.
func TestAuditRetentionByAge(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		s := open(t)
		clock := testclock.New(time.Now().UTC().Truncate(time.Second))
		a := authority.New(authority.Config{Store: s, Now: clock.Now, AuditRetention: authority.AuditRetention{MaxAge: 24 * time.Hour}})
		start := clock.Now()
		seedAudit(t, s, start.Add(-30*24*time.Hour), 2500, "old")
		recent := seedAudit(t, s, start.Add(-time.Hour), 5, "recent")
		n, err := a.PruneAudit(t.Context())
		if err != nil || n != 2500 {
			t.Fatalf("PruneAudit deleted %d (%v), want the 2500 entries older than a day", n, err)
		}
		if got := auditTargets(t, s); !slices.Equal(got, recent) {
			t.Fatalf("left %v, want %v", got, recent)
		}
		if n, err := a.PruneAudit(t.Context()); err != nil || n != 0 {
			t.Fatalf("PruneAudit again deleted %d (%v), want 0", n, err)
		}
		clock.Set(start.Add(23 * time.Hour).Add(3 * time.Millisecond))
		if n, err := a.PruneAudit(t.Context()); err != nil || n != 3 {
			t.Fatalf("a day after the first recent entry PruneAudit deleted %d (%v), want 3", n, err)
		}
		if got := auditTargets(t, s); !slices.Equal(got, recent[3:]) {
			t.Fatalf("left %v, want %v", got, recent[3:])
		}
	})
}

// TestAuditRetentionByNumber keeps the newest MaxEntries entries.
func TestAuditRetentionByNumber(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		s := open(t)
		a := authority.New(authority.Config{Store: s, AuditRetention: authority.AuditRetention{MaxEntries: 3}})
		targets := seedAudit(t, s, time.Now().Add(-time.Hour), 1200, "e")
		n, err := a.PruneAudit(t.Context())
		if err != nil || n != 1197 {
			t.Fatalf("PruneAudit deleted %d (%v), want 1197", n, err)
		}
		if got := auditTargets(t, s); !slices.Equal(got, targets[1197:]) {
			t.Fatalf("left %v, want %v", got, targets[1197:])
		}
	})
}

// TestAuditRetentionZeroKeepsAll deletes nothing without a retention.
func TestAuditRetentionZeroKeepsAll(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		s := open(t)
		a := authority.New(authority.Config{Store: s})
		targets := seedAudit(t, s, time.Now().Add(-10*365*24*time.Hour), 10, "e")
		if n, err := a.PruneAudit(t.Context()); err != nil || n != 0 {
			t.Fatalf("PruneAudit deleted %d (%v), want 0", n, err)
		}
		if got := auditTargets(t, s); !slices.Equal(got, targets) {
			t.Fatalf("left %v, want %v", got, targets)
		}
	})
}

// prunedAudit reports every batch the authority's retention deletes.
type prunedAudit struct {
	storage.Storage
	deleted chan int
}

func (s *prunedAudit) PruneAudit(ctx context.Context, p storage.AuditPrune) (int, error) {
	n, err := s.Storage.PruneAudit(ctx, p)
	if err == nil && n > 0 {
		s.deleted <- n
	}
	return n, err
}

// TestAuditRetentionRunsInBackground applies the retention every poll
// interval once started, with no call from outside.
func TestAuditRetentionRunsInBackground(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		s := &prunedAudit{Storage: open(t), deleted: make(chan int, 100)}
		targets := seedAudit(t, s, time.Now().Add(-time.Hour), 10, "e")
		key := make([]byte, secret.KeySize)
		rand.Read(key)
		box, err := secret.NewBox(key)
		if err != nil {
			t.Fatal(err)
		}
		a := authority.New(authority.Config{Store: s, Box: box, PollInterval: 10 * time.Millisecond, AuditRetention: authority.AuditRetention{MaxEntries: 1}})
		ctx, cancel := context.WithCancel(context.Background())
		if err := a.Start(ctx); err != nil {
			t.Fatal(err)
		}
		// Start audits the signing keys it creates: that entry is the
		// newest, and the only one kept.
		deadline := time.After(10 * time.Second)
		for total := 0; total < len(targets); {
			select {
			case n := <-s.deleted:
				total += n
			case <-deadline:
				t.Fatalf("the retention deleted %d entries in the background, want %d", total, len(targets))
			}
		}
		cancel()
		a.Close()
		entries, err := s.ListAudit(t.Context(), storage.AuditQuery{})
		if err != nil || len(entries) != 1 || entries[0].Action != "signing_key.init" {
			t.Fatalf("left %+v (%v), want the signing key entry alone", entries, err)
		}
	})
}

// slowAudit takes an hour of the test clock for each batch the retention
// deletes, and reports each batch.
type slowAudit struct {
	storage.Storage
	clock   *testclock.Clock
	batches chan int
}

func (s *slowAudit) PruneAudit(ctx context.Context, p storage.AuditPrune) (int, error) {
	n, err := s.Storage.PruneAudit(ctx, p)
	s.clock.Set(s.clock.Now().Add(time.Hour))
	s.batches <- n
	return n, err
}

// TestAuditRetentionRests rests after each batch three times as long as
// the batch took, and stops resting when its context ends.
func TestAuditRetentionRests(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		clock := testclock.New(time.Now())
		s := &slowAudit{Storage: open(t), clock: clock, batches: make(chan int, 10)}
		seedAudit(t, s, time.Now().Add(-time.Hour), 2500, "e")
		a := authority.New(authority.Config{Store: s, Now: clock.Now, AuditRetention: authority.AuditRetention{MaxEntries: 1}})
		ctx, cancel := context.WithCancel(t.Context())
		type outcome struct {
			n   int
			err error
		}
		done := make(chan outcome, 1)
		go func() {
			n, err := a.PruneAudit(ctx)
			done <- outcome{n, err}
		}()
		if n := <-s.batches; n != 1000 {
			t.Fatalf("first batch deleted %d, want 1000", n)
		}
		// The batch took an hour: the retention now rests for three.
		cancel()
		if got := <-done; got.n != 1000 || !errors.Is(got.err, context.Canceled) {
			t.Fatalf("PruneAudit cancelled while resting: %d deleted, %v; want 1000 and context.Canceled", got.n, got.err)
		}
	})
}

// TestAuditPages reads the log in pages, in both orders, each page
// continuing at the cursor of the one before.
func TestAuditPages(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		s := open(t)
		a := authority.New(authority.Config{Store: s})
		oldest := seedAudit(t, s, time.Now().Add(-time.Hour), 2000, "e")
		newest := slices.Clone(oldest)
		slices.Reverse(newest)
		first, err := a.Audit(t.Context(), authority.AuditQuery{})
		if err != nil || len(first.Entries) != authority.DefaultAuditPage || first.Entries[0].Target != newest[0] || first.Next == "" {
			t.Fatalf("first page: %d entries, next %q (%v), want the newest %d and a cursor", len(first.Entries), first.Next, err, authority.DefaultAuditPage)
		}
		for _, c := range []struct {
			oldestFirst bool
			want        []string
		}{{true, oldest}, {false, newest}} {
			var got []string
			q := authority.AuditQuery{OldestFirst: c.oldestFirst, Limit: authority.MaxAuditPage, Action: "token.mint"}
			for pages := 1; ; pages++ {
				page, err := a.Audit(t.Context(), q)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range page.Entries {
					got = append(got, e.Target)
				}
				if page.Next == "" {
					// 2000 entries fill two pages exactly: the second
					// says there is no more.
					if pages != 2 {
						t.Fatalf("%d pages, want 2", pages)
					}
					break
				}
				q.Cursor = page.Next
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("oldest first %v: %d entries, want %d in order", c.oldestFirst, len(got), len(c.want))
			}
		}
	})
}

// TestAuditRefusesBadQueries names the field at fault.
func TestAuditRefusesBadQueries(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		a := authority.New(authority.Config{Store: open(t)})
		day := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		for _, c := range []struct {
			q     authority.AuditQuery
			field string
		}{
			{authority.AuditQuery{Limit: -1}, "limit"},
			{authority.AuditQuery{Limit: authority.MaxAuditPage + 1}, "limit"},
			{authority.AuditQuery{Since: day, Until: day}, "until"},
			{authority.AuditQuery{Since: day, Until: day.Add(-time.Second)}, "until"},
			{authority.AuditQuery{Cursor: "12"}, "cursor"},
			{authority.AuditQuery{Cursor: "1748736000000000."}, "cursor"},
			{authority.AuditQuery{Cursor: ".12"}, "cursor"},
			{authority.AuditQuery{Cursor: "1748736000000000.0"}, "cursor"},
			{authority.AuditQuery{Cursor: "1748736000000000.-3"}, "cursor"},
			{authority.AuditQuery{Cursor: "1748736000000000.012"}, "cursor"},
			{authority.AuditQuery{Cursor: "+1748736000000000.12"}, "cursor"},
			{authority.AuditQuery{Cursor: "1748736000000000.12.1"}, "cursor"},
			{authority.AuditQuery{Cursor: "1748736000000000.99999999999999999999"}, "cursor"},
		} {
			_, err := a.Audit(t.Context(), c.q)
			var bad *access.InvalidError
			if !errors.As(err, &bad) || bad.Field != c.field {
				t.Errorf("Audit(%+v): %v, want an invalid %s", c.q, err, c.field)
			}
		}
		if _, err := a.Audit(t.Context(), authority.AuditQuery{Cursor: "1748736000000000.12", Since: day, Until: day.Add(time.Second), Limit: authority.MaxAuditPage}); err != nil {
			t.Errorf("a well-formed query: %v", err)
		}
	})
}
