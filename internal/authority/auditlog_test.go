package authority

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// gatedAudit is an audit store whose commits wait at a gate: each batch
// reports that it arrived, then waits for the outcome the test sends.
type gatedAudit struct {
	arrived chan []storage.AuditEntry
	outcome chan error

	mu        sync.Mutex
	committed [][]storage.AuditEntry
}

func newGatedAudit() *gatedAudit {
	return &gatedAudit{arrived: make(chan []storage.AuditEntry), outcome: make(chan error)}
}

func (g *gatedAudit) AppendAuditBatch(ctx context.Context, entries []storage.AuditEntry) error {
	g.arrived <- entries
	if err := <-g.outcome; err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	g.mu.Lock()
	g.committed = append(g.committed, entries)
	g.mu.Unlock()
	return nil
}

// batches returns the targets of each committed batch.
func (g *gatedAudit) batches() [][]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out [][]string
	for _, b := range g.committed {
		var targets []string
		for _, e := range b {
			targets = append(targets, e.Target)
		}
		slices.Sort(targets)
		out = append(out, targets)
	}
	return out
}

// startAuditLog runs an audit log over g until t ends.
func startAuditLog(t *testing.T, g *gatedAudit) (*auditLog, context.CancelFunc) {
	t.Helper()
	l := newAuditLog(g)
	ctx, cancel := context.WithCancel(context.Background())
	go l.run(ctx)
	t.Cleanup(func() {
		cancel()
		l.close()
	})
	return l, cancel
}

// appendAsync queues an entry for target, as append does, and returns
// where its outcome arrives once committed.
func appendAsync(ctx context.Context, l *auditLog, target string) <-chan error {
	done := make(chan error, 1)
	g, err := l.enqueue(storage.AuditEntry{Actor: "api_key:k", Action: "token.mint", Target: target})
	if err != nil {
		done <- err
		return done
	}
	go func() { done <- g.wait(ctx) }()
	return done
}

// queued checks that n entries wait for the next commit.
func queued(t *testing.T, l *auditLog, n int) {
	t.Helper()
	l.mu.Lock()
	got := 0
	if l.next != nil {
		got = len(l.next.entries)
	}
	l.mu.Unlock()
	if got != n {
		t.Fatalf("%d entries queued, want %d", got, n)
	}
}

func outcome(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("append did not return")
		return nil
	}
}

// pending fails t if done already has an outcome: the append must still
// wait for its commit.
func pending(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("append returned before its commit: %v", err)
	default:
	}
}

// TestAuditLogCommitsInGroups checks group commit: an append returns only
// after the commit holding its entry, and the entries queued while a commit
// is under way are committed together in the next one.
func TestAuditLogCommitsInGroups(t *testing.T) {
	g := newGatedAudit()
	l, _ := startAuditLog(t, g)
	first := appendAsync(context.Background(), l, "u0")
	<-g.arrived
	var rest []<-chan error
	for i := 1; i <= 5; i++ {
		rest = append(rest, appendAsync(context.Background(), l, fmt.Sprintf("u%d", i)))
	}
	queued(t, l, 5)
	pending(t, first)
	g.outcome <- nil
	if err := outcome(t, first); err != nil {
		t.Fatalf("first append: %v", err)
	}
	<-g.arrived
	for _, done := range rest {
		pending(t, done)
	}
	g.outcome <- nil
	for _, done := range rest {
		if err := outcome(t, done); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
	want := [][]string{{"u0"}, {"u1", "u2", "u3", "u4", "u5"}}
	if got := g.batches(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("batches %v, want %v", got, want)
	}
}

// TestAuditLogFailureReachesEveryCaller fails a commit: each caller of its
// group gets ErrUnavailable, whatever the store's error, and the next
// group is committed as usual.
func TestAuditLogFailureReachesEveryCaller(t *testing.T) {
	for _, storeErr := range []error{
		fmt.Errorf("sqlite: append audit: %w: database or disk is full (13)", storage.ErrUnavailable),
		errors.New("sqlite: append audit: disk I/O error"),
	} {
		g := newGatedAudit()
		l, _ := startAuditLog(t, g)
		a := appendAsync(context.Background(), l, "a")
		<-g.arrived
		b, c := appendAsync(context.Background(), l, "b"), appendAsync(context.Background(), l, "c")
		queued(t, l, 2)
		g.outcome <- nil
		<-g.arrived
		g.outcome <- storeErr
		for _, done := range []<-chan error{b, c} {
			if err := outcome(t, done); !errors.Is(err, ErrUnavailable) {
				t.Errorf("append of a failed group: %v, want ErrUnavailable", err)
			}
		}
		if err := outcome(t, a); err != nil {
			t.Errorf("append of the committed group: %v", err)
		}
		d := appendAsync(context.Background(), l, "d")
		<-g.arrived
		g.outcome <- nil
		if err := outcome(t, d); err != nil {
			t.Errorf("append after a failed group: %v", err)
		}
	}
}

// TestAuditLogCallerGivesUp ends a caller's context while its commit is
// under way: the caller stops waiting with its context's error, and its
// entry is committed all the same.
func TestAuditLogCallerGivesUp(t *testing.T) {
	g := newGatedAudit()
	l, _ := startAuditLog(t, g)
	ctx, cancel := context.WithCancel(context.Background())
	done := appendAsync(ctx, l, "gone")
	<-g.arrived
	cancel()
	if err := outcome(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("append after its caller gave up: %v, want context.Canceled", err)
	}
	g.outcome <- nil
	other := appendAsync(context.Background(), l, "next")
	<-g.arrived
	g.outcome <- nil
	if err := outcome(t, other); err != nil {
		t.Fatal(err)
	}
	if got, want := g.batches(), [][]string{{"gone"}, {"next"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("batches %v, want %v", got, want)
	}
}

// TestAuditLogClose stops the log while a commit is under way: that commit
// and what was queued behind it are committed, though the log's context
// ended, and appends after that fail with ErrUnavailable instead of
// waiting.
func TestAuditLogClose(t *testing.T) {
	g := newGatedAudit()
	l, stop := startAuditLog(t, g)
	first := appendAsync(context.Background(), l, "first")
	<-g.arrived
	last := appendAsync(context.Background(), l, "last")
	queued(t, l, 1)
	stop()
	g.outcome <- nil
	if err := outcome(t, first); err != nil {
		t.Fatalf("commit under way on close: %v", err)
	}
	<-g.arrived
	g.outcome <- nil
	if err := outcome(t, last); err != nil {
		t.Fatalf("entry queued before close: %v", err)
	}
	l.close()
	if err := l.append(context.Background(), storage.AuditEntry{Actor: "a", Action: "b"}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("append after close: %v, want ErrUnavailable", err)
	}
	if got, want := g.batches(), [][]string{{"first"}, {"last"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("batches %v, want %v", got, want)
	}
}
