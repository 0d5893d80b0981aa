package authority_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/postgres"
	"github.com/stagedoor/stagedoor/internal/storage/postgres/pgtest"
	"github.com/stagedoor/stagedoor/internal/storage/sqlite"
)

// eachBackendTwice runs f on each backend with two stores on one
// database: two processes on one SQLite file, two nodes on one PostgreSQL
// schema.
func eachBackendTwice(t *testing.T, f func(t *testing.T, a, b storage.Storage)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "stagedoor.db")
		open := func() storage.Storage {
			s, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		f(t, open(), open())
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn := pgtest.DSN(t)
		open := func() storage.Storage {
			s, err := postgres.Open(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		f(t, open(), open())
	})
}

// ring sets how many events a node keeps per followed room.
func ring(n int) func(*authority.Config) {
	return func(c *authority.Config) { c.EventRing = n }
}

// poll sets how often a node reads the store for changes not reported.
func poll(d time.Duration) func(*authority.Config) {
	return func(c *authority.Config) { c.PollInterval = d }
}

// sibling starts a second node on store, another handle on n's database,
// with n's master key and clock.
func (n *node) sibling(t *testing.T, store storage.Storage, opts ...func(*authority.Config)) *authority.Authority {
	t.Helper()
	cfg := authority.Config{Store: store, Box: n.box, Now: n.clock.Now, PollInterval: 10 * time.Millisecond}
	for _, opt := range opts {
		opt(&cfg)
	}
	a := authority.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		a.Close()
	})
	return a
}

// eventWait bounds every wait for an event.
const eventWait = 10 * time.Second

// nextEvents is one Next of st, given up after eventWait.
func nextEvents(ctx context.Context, st *authority.EventStream) ([]authority.Event, error) {
	stop := make(chan struct{})
	timer := time.AfterFunc(eventWait, func() { close(stop) })
	defer timer.Stop()
	events, err := st.Next(ctx, stop)
	if err == nil && len(events) == 0 && st.End() == "" {
		err = fmt.Errorf("no event after %d within %v", st.Cursor(), eventWait)
	}
	return events, err
}

// followUntil reads room on a from after until it has read an event for
// which last holds, opening the stream again from its cursor whenever it
// ends too slow, as a client does. It returns the events read and how many
// times it was cut off.
func followUntil(ctx context.Context, a *authority.Authority, actor authority.Principal, room string, after int64, last func(authority.Event) bool) (got []authority.Event, cut int, err error) {
	done := func() bool { return len(got) > 0 && last(got[len(got)-1]) }
	for !done() {
		st, err := a.Events(ctx, actor, room, after)
		if err != nil {
			return got, cut, err
		}
		for st.End() == "" && !done() {
			events, err := nextEvents(ctx, st)
			if err != nil {
				st.Close()
				return got, cut, err
			}
			got = append(got, events...)
		}
		after = st.Cursor()
		st.Close()
		switch st.End() {
		case "":
		case authority.EndTooSlow:
			cut++
		default:
			return got, cut, fmt.Errorf("the stream ended: %s", st.End())
		}
	}
	return got, cut, nil
}

// seqs lists the Seqs of events.
func seqs[E authority.Event | storage.RoomEvent](events []E) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		switch e := any(e).(type) {
		case authority.Event:
			out[i] = e.Seq
		case storage.RoomEvent:
			out[i] = e.Seq
		}
	}
	return out
}

// participant mints a host token for user and joins room with it on a.
func (n *node) participant(t *testing.T, a *authority.Authority, user, room string) (tok string, session string) {
	t.Helper()
	out, err := a.IssueToken(t.Context(), authority.AsKey(n.prod), authority.IssueRequest{UserID: user, Role: access.Host})
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.Join(t.Context(), authority.AsToken(out.AccessToken), room)
	if err != nil {
		t.Fatal(err)
	}
	return out.AccessToken, s.ID
}

// Streams opened at any moment, on the node that writes or on another
// (another process on the SQLite file, another node on PostgreSQL), from
// the room's start, from its newest event or from any event before, while
// events keep coming, each read every event after where they started
// exactly once and in order. The room keeps 4 events, so streams start
// behind the ring, fall back to the store, and are cut off and resume.
func TestEventStreamsSeeEveryEventOnce(t *testing.T) {
	const streams, toggles = 200, 50
	eachBackendTwice(t, func(t *testing.T, storeA, storeB storage.Storage) {
		n := newNode(t, storeA, ring(4), poll(50*time.Millisecond))
		nodes := []*authority.Authority{n.auth, n.sibling(t, storeB, ring(4), poll(50*time.Millisecond))}
		ctx := t.Context()
		key := authority.AsKey(n.prod)
		if _, err := n.auth.CreateRoom(ctx, key, authority.RoomRequest{Name: "stage"}); err != nil {
			t.Fatal(err)
		}
		toggle := n.toggler(t, "stage")
		// Every stream reads until the last participant's join.
		last := func(e authority.Event) bool {
			return e.Type == storage.EventSessionJoined && e.Session.Participant == "last"
		}
		var (
			wg, started sync.WaitGroup
			mu          sync.Mutex
			cuts        int
		)
		follow := func(i int) {
			newest, err := n.store.RoomEventCursor(ctx, n.app, "stage")
			started.Done()
			if err != nil {
				t.Error(err)
				return
			}
			after := []int64{0, newest, rand.Int64N(newest + 1)}[rand.IntN(3)]
			got, cut, err := followUntil(ctx, nodes[i%2], key, "stage", after, last)
			if err != nil {
				t.Errorf("stream %d from %d: %v", i, after, err)
				return
			}
			want, err := n.store.ListRoomEvents(ctx, n.app, "stage", after, 0)
			if err != nil {
				t.Error(err)
				return
			}
			if !slices.Equal(seqs(got), seqs(want)) {
				t.Errorf("stream %d from %d read %v, want %v", i, after, seqs(got), seqs(want))
			}
			mu.Lock()
			cuts += cut
			mu.Unlock()
		}
		for i := range streams {
			started.Add(1)
			wg.Go(func() { follow(i) })
			if i%(streams/toggles) == 0 {
				toggle()
			}
		}
		// The last join comes once every stream knows where it starts.
		started.Wait()
		n.participant(t, n.auth, "last", "stage")
		wg.Wait()
		for _, a := range nodes {
			if followed := a.FollowedRooms(); followed != 0 {
				t.Fatalf("%d rooms still followed after every stream closed", followed)
			}
		}
		t.Logf("%d streams cut off and resumed", cuts)
	})
}

// countingStore counts the reads of room events.
type countingStore struct {
	storage.Storage
	reads atomic.Int64
}

func (s *countingStore) ListRoomEvents(ctx context.Context, appID, room string, afterSeq int64, limit int) ([]storage.RoomEvent, error) {
	s.reads.Add(1)
	return s.Storage.ListRoomEvents(ctx, appID, room, afterSeq, limit)
}

// mustNext is one Next of st in the test's goroutine.
func mustNext(t *testing.T, st *authority.EventStream) []authority.Event {
	t.Helper()
	events, err := nextEvents(t.Context(), st)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// toggler makes events in a room, one per call: a participant's camera
// starts and stops in turn.
func (n *node) toggler(t *testing.T, room string) func() authority.Session {
	t.Helper()
	tok, id := n.participant(t, n.auth, "writer", room)
	on := false
	return func() authority.Session {
		t.Helper()
		on = !on
		s, err := n.auth.Produce(t.Context(), authority.AsToken(tok), room, id, "camera")
		if !on {
			s, err = n.auth.Unproduce(t.Context(), authority.AsToken(tok), room, id, "camera")
		}
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// newest is the Seq of the room's newest event.
func (n *node) newest(t *testing.T, room string) int64 {
	t.Helper()
	seq, err := n.store.RoomEventCursor(t.Context(), n.app, room)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// events opens room's event stream with the production key, after after.
func (n *node) events(t *testing.T, room string, after int64) *authority.EventStream {
	t.Helper()
	st, err := n.auth.Events(t.Context(), authority.AsKey(n.prod), room, after)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

// seqOf renders an event as its Seq.
func seqOf(e authority.Event) []byte { return fmt.Appendf(nil, "%d", e.Seq) }

// However many streams follow a room on a node, the node reads each new
// event from the store once, and renders it once for them all.
func TestEventsReadOncePerNode(t *testing.T) {
	const streams, toggles = 50, 10
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		store := &countingStore{Storage: open(t)}
		n := newNode(t, store)
		if _, err := n.auth.CreateRoom(t.Context(), authority.AsKey(n.prod), authority.RoomRequest{Name: "stage"}); err != nil {
			t.Fatal(err)
		}
		toggle := n.toggler(t, "stage")
		after := n.newest(t, "stage")
		sts := make([]*authority.EventStream, streams)
		for i := range sts {
			sts[i] = n.events(t, "stage", after)
		}
		s := toggle()
		for _, st := range sts {
			if events := mustNext(t, st); len(events) != 1 || events[0].SessionID != s.ID {
				t.Fatalf("first toggle: read %+v", events)
			}
		}
		before := store.reads.Load()
		for i := range toggles {
			s := toggle()
			var shared []byte
			for _, st := range sts {
				events := mustNext(t, st)
				if len(events) != 1 || events[0].SessionID != s.ID {
					t.Fatalf("toggle %d: read %+v", i, events)
				}
				b := events[0].Wire(seqOf)
				if shared == nil {
					shared = b
				}
				if &b[0] != &shared[0] {
					t.Fatalf("toggle %d: the event was rendered more than once", i)
				}
			}
		}
		// The node also looks for events the feed did not report, at most
		// once a poll interval for each room followed.
		if reads := store.reads.Load() - before; reads > 2*toggles {
			t.Fatalf("%d reads of the store for %d events and %d streams", reads, toggles, streams)
		}
	})
}

// A stream that stops reading falls behind the ring and is cut off as too
// slow, while the others read every event; it resumes from its cursor
// with no gap and no repeat.
func TestSlowEventStreamCutOff(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		n := newNode(t, open(t), ring(8))
		if _, err := n.auth.CreateRoom(t.Context(), authority.AsKey(n.prod), authority.RoomRequest{Name: "stage"}); err != nil {
			t.Fatal(err)
		}
		toggle := n.toggler(t, "stage")
		after := n.newest(t, "stage")
		fast, slow := n.events(t, "stage", after), n.events(t, "stage", after)
		for range 3 {
			toggle()
			mustNext(t, fast)
			mustNext(t, slow)
		}
		var got []authority.Event
		for range 20 {
			toggle()
			got = append(got, mustNext(t, fast)...)
		}
		closed := make(chan struct{})
		close(closed)
		if events, err := slow.Next(t.Context(), closed); len(events) != 0 || err != nil || slow.End() != authority.EndTooSlow {
			t.Fatalf("the slow stream read %d events, %v, and ended %q", len(events), err, slow.End())
		}
		resumed := n.events(t, "stage", slow.Cursor())
		var again []authority.Event
		for resumed.Cursor() < fast.Cursor() {
			again = append(again, mustNext(t, resumed)...)
		}
		if len(got) != 20 || !slices.Equal(seqs(again), seqs(got)) {
			t.Fatalf("the fast stream read %v, the resumed one %v", seqs(got), seqs(again))
		}
	})
}
