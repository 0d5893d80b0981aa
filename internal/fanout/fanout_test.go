package fanout

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// entry is an entry of a memLog: its position, and its index in its log.
type entry struct {
	pos int64
	i   int
}

func posOf(e entry) int64 { return e.pos }

// memLog is a set of logs in memory whose positions increase across logs,
// as room events' do across rooms. It counts the reads, and fails them
// while fail is set.
type memLog struct {
	mu    sync.Mutex
	next  int64
	logs  map[string][]entry
	fail  error
	heads atomic.Int64
	reads atomic.Int64
	// byReaders counts the reads made by readers, which read with a
	// context marked readerCtx.
	byReaders atomic.Int64
	// called hears of each failed call.
	called chan struct{}
}

func newMemLog() *memLog {
	return &memLog{logs: map[string][]entry{}, called: make(chan struct{}, 1)}
}

// add appends an entry to log k and returns it.
func (l *memLog) add(k string) entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	e := entry{pos: l.next, i: len(l.logs[k])}
	l.logs[k] = append(l.logs[k], e)
	return e
}

// forget drops the entries of log k at or before pos, as a log that
// prunes old entries does.
func (l *memLog) forget(k string, pos int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.logs[k] = slices.DeleteFunc(l.logs[k], func(e entry) bool { return e.pos <= pos })
}

func (l *memLog) failed() {
	select {
	case l.called <- struct{}{}:
	default:
	}
}

// waitFailure waits for a call that failed.
func (l *memLog) waitFailure(t *testing.T) {
	t.Helper()
	select {
	case <-l.called:
	case <-time.After(waitTime):
		t.Fatal("the log was not read")
	}
}

func (l *memLog) setFail(err error) {
	l.mu.Lock()
	l.fail = err
	l.mu.Unlock()
}

func (l *memLog) head(_ context.Context, k string) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.heads.Add(1)
	if l.fail != nil {
		l.failed()
		return 0, l.fail
	}
	es := l.logs[k]
	if len(es) == 0 {
		return 0, nil
	}
	return es[len(es)-1].pos, nil
}

// readerCtx marks the context of a reader's reads.
type readerCtx struct{}

func (l *memLog) read(ctx context.Context, k string, after int64, limit int) ([]entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reads.Add(1)
	if ctx.Value(readerCtx{}) != nil {
		l.byReaders.Add(1)
	}
	if l.fail != nil {
		l.failed()
		return nil, l.fail
	}
	var out []entry
	for _, e := range l.logs[k] {
		if e.pos > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

// entries returns log k's entries after pos.
func (l *memLog) entries(k string, after int64) []entry {
	es, _ := l.read(context.Background(), k, after, 1<<30)
	return es
}

func newHub(l *memLog, ring, page int) *Hub[string, entry] {
	return New(Config[string, entry]{Head: l.head, Read: l.read, Pos: posOf, Ring: ring, Page: page, Retry: time.Hour})
}

// waitTime bounds every wait of these tests.
const waitTime = 10 * time.Second

var errTimeout = errors.New("nothing came in time")

// next reads what r has now, or waits for the feed to change and reads
// again, until it gets something or waitTime passes.
func next(ctx context.Context, r *Reader[string, entry]) ([]entry, error) {
	deadline := time.After(waitTime)
	for {
		changed := r.Changed()
		es, err := r.Read(ctx)
		if len(es) > 0 || err != nil {
			return es, err
		}
		select {
		case <-changed:
		case <-deadline:
			return nil, fmt.Errorf("after %d: %w", r.Pos(), errTimeout)
		}
	}
}

// waitReady has r's feed read where its log is.
func waitReady(t *testing.T, r *Reader[string, entry]) {
	t.Helper()
	if err := r.f.start(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// follow reads log k from pos until it has the entry of index last,
// resuming from where it was with a new reader whenever it is lapped. It
// returns what it read and how many times it was lapped.
func follow(ctx context.Context, h *Hub[string, entry], k string, pos int64, last int) (got []entry, lapped int, err error) {
	r := h.Subscribe(k, pos)
	defer func() { r.Close() }()
	for len(got) == 0 || got[len(got)-1].i < last {
		es, err := next(ctx, r)
		if errors.Is(err, ErrLapped) {
			lapped++
			r.Close()
			r = h.Subscribe(k, r.Pos())
			continue
		}
		if err != nil {
			return got, lapped, err
		}
		got = append(got, es...)
	}
	return got, lapped, nil
}

// mustFollow is follow in the test's goroutine.
func mustFollow(t *testing.T, h *Hub[string, entry], k string, pos int64, last int) ([]entry, int) {
	t.Helper()
	got, lapped, err := follow(context.WithValue(t.Context(), readerCtx{}, true), h, k, pos, last)
	if err != nil {
		t.Fatal(err)
	}
	return got, lapped
}

// mustNext is next in the test's goroutine.
func mustNext(t *testing.T, r *Reader[string, entry]) []entry {
	t.Helper()
	es, err := next(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// Readers that start at any moment, from the head, from the start or from
// an entry long gone from the ring, while entries keep coming, each see
// every entry after where they started exactly once and in order, also
// when they are lapped and resume. Only the feed reads the log's new
// entries; readers read it only to catch up.
func TestReadersSeeEveryEntryOnceInOrder(t *testing.T) {
	const (
		rounds  = 200
		entries = 60
		readers = 12
	)
	laps := 0
	for round := range rounds {
		l := newMemLog()
		h := newHub(l, 8, 4)
		l.add("a")
		var wg sync.WaitGroup
		starts := make(chan int, readers)
		for i := range entries - 1 {
			// Another log's entries make positions skip, as other rooms'
			// events do.
			if i%3 == 0 {
				l.add("b")
				h.Wake("b")
			}
			e := l.add("a")
			h.Wake("a")
			if i%(entries/readers) != 0 {
				continue
			}
			var from int64
			switch rand.IntN(3) {
			case 0:
				from = e.pos
			case 1:
				from = 0
			default:
				from = rand.Int64N(e.pos + 1)
			}
			wg.Go(func() {
				got, lapped, err := follow(t.Context(), h, "a", from, entries-1)
				if err != nil {
					t.Errorf("round %d: reader from %d: %v", round, from, err)
				}
				if want := l.entries("a", from); !slices.Equal(got, want) {
					t.Errorf("round %d: reader from %d got %v, want %v", round, from, got, want)
				}
				starts <- lapped
			})
		}
		wg.Wait()
		close(starts)
		for n := range starts {
			laps += n
		}
		if h.Feeds() != 0 {
			t.Fatalf("round %d: %d feeds left after every reader closed", round, h.Feeds())
		}
	}
	t.Logf("%d readers lapped in all", laps)
}

// However many readers follow a log, each new entry is read from the log
// once, by the feed.
func TestEachEntryReadOnce(t *testing.T) {
	l := newMemLog()
	h := newHub(l, 64, 16)
	const readers, entries = 200, 20
	rs := make([]*Reader[string, entry], readers)
	for i := range rs {
		rs[i] = h.Subscribe("a", 0)
		defer rs[i].Close()
	}
	for _, r := range rs {
		if es, err := r.Read(t.Context()); err != nil || len(es) != 0 {
			t.Fatalf("empty log: %v, %v", es, err)
		}
	}
	waitReady(t, rs[0])
	before := l.reads.Load()
	for range entries {
		e := l.add("a")
		h.Wake("a")
		for _, r := range rs {
			if es := mustNext(t, r); len(es) != 1 || es[0] != e {
				t.Fatalf("read %v, want %v", es, e)
			}
		}
	}
	if reads := l.reads.Load() - before; reads > entries {
		t.Fatalf("%d reads of the log for %d entries and %d readers, want at most one per entry", reads, entries, readers)
	}
	if heads := l.heads.Load(); heads != 1 {
		t.Fatalf("the head was read %d times, want once", heads)
	}
}

// A reader that resumes from before the ring reads the log until it
// catches up, with no gap and no repeat, also when the log has forgotten
// its oldest entries; one that resumes within the ring reads only the ring.
func TestResumeBehindTheRing(t *testing.T) {
	l := newMemLog()
	h := newHub(l, 4, 3)
	head := h.Subscribe("a", 0)
	defer head.Close()
	waitReady(t, head)
	var all []entry
	for range 20 {
		all = append(all, l.add("a"))
		h.Wake("a")
		mustNext(t, head)
	}
	for _, from := range []int64{0, all[3].pos, all[14].pos} {
		got, lapped := mustFollow(t, h, "a", from, 19)
		if want := l.entries("a", from); !slices.Equal(got, want) || lapped != 0 {
			t.Fatalf("from %d: got %v (lapped %d), want %v", from, got, lapped, want)
		}
	}
	before := l.byReaders.Load()
	if got, _ := mustFollow(t, h, "a", all[17].pos, 19); !slices.Equal(got, all[18:]) {
		t.Fatalf("from within the ring: %v", got)
	}
	if reads := l.byReaders.Load() - before; reads != 0 {
		t.Fatalf("a reader within the ring read the log %d times", reads)
	}
	l.forget("a", all[9].pos)
	if got, _ := mustFollow(t, h, "a", all[2].pos, 19); !slices.Equal(got, all[10:]) {
		t.Fatalf("from a forgotten entry: %v, want %v", got, all[10:])
	}
}

// A reader that stops reading is lapped, and told so, while the others
// go on receiving every entry; the feed never waits for it.
func TestSlowReaderLapped(t *testing.T) {
	l := newMemLog()
	h := newHub(l, 8, 8)
	fast, slow := h.Subscribe("a", 0), h.Subscribe("a", 0)
	defer fast.Close()
	defer slow.Close()
	waitReady(t, fast)
	l.add("a")
	h.Wake("a")
	mustNext(t, fast)
	mustNext(t, slow)
	var got []entry
	for range 30 {
		e := l.add("a")
		h.Wake("a")
		for len(got) == 0 || got[len(got)-1] != e {
			got = append(got, mustNext(t, fast)...)
		}
	}
	if len(got) != 30 {
		t.Fatalf("fast reader got %d entries, want 30", len(got))
	}
	if es, err := slow.Read(t.Context()); !errors.Is(err, ErrLapped) || len(es) != 0 {
		t.Fatalf("slow reader: %v, %v; want ErrLapped", es, err)
	}
	if _, err := slow.Read(t.Context()); !errors.Is(err, ErrLapped) {
		t.Fatalf("a lapped reader read again: %v", err)
	}
}

// The feed goes with its last reader, and a new reader starts a new one.
func TestFeedEndsWithLastReader(t *testing.T) {
	l := newMemLog()
	h := newHub(l, 8, 8)
	a1, a2, b := h.Subscribe("a", 0), h.Subscribe("a", 0), h.Subscribe("b", 0)
	if n := h.Feeds(); n != 2 {
		t.Fatalf("%d feeds, want 2", n)
	}
	a1.Close()
	a1.Close()
	if n := h.Feeds(); n != 2 {
		t.Fatalf("%d feeds after one of two readers left, want 2", n)
	}
	a2.Close()
	b.Close()
	if n := h.Feeds(); n != 0 {
		t.Fatalf("%d feeds after every reader left", n)
	}
	l.add("a")
	if got, _ := mustFollow(t, h, "a", 0, 0); len(got) != 1 {
		t.Fatalf("a new reader got %v", got)
	}
}

// Trim drops what every reader has read; a reader from before it then
// reads the log.
func TestTrim(t *testing.T) {
	l := newMemLog()
	h := newHub(l, 64, 64)
	r := h.Subscribe("a", 0)
	defer r.Close()
	waitReady(t, r)
	var all []entry
	for range 10 {
		all = append(all, l.add("a"))
	}
	h.Wake("a")
	for got := 0; got < 10; {
		got += len(mustNext(t, r))
	}
	h.Trim()
	f := r.f
	f.mu.Lock()
	kept, floor := f.ring.len(), f.floor
	f.mu.Unlock()
	if kept != 0 || floor != all[9].pos {
		t.Fatalf("after Trim the ring holds %d entries from %d, want none from %d", kept, floor, all[9].pos)
	}
	before := l.byReaders.Load()
	if got, _ := mustFollow(t, h, "a", all[4].pos, 9); !slices.Equal(got, all[5:]) {
		t.Fatalf("after Trim: %v", got)
	}
	if l.byReaders.Load() == before {
		t.Fatal("a reader from before the trimmed entries did not read the log")
	}
}

// A feed whose reads fail serves nothing and tries again when woken; no
// entry is lost. A reader's own failed read, of where the log is or of
// entries behind the ring, is its error.
func TestFailedReads(t *testing.T) {
	l := newMemLog()
	h := newHub(l, 8, 8)
	down := errors.New("log down")
	l.setFail(down)
	r := h.Subscribe("a", 0)
	defer r.Close()
	changed := r.Changed()
	l.waitFailure(t)
	h.Wake("a")
	l.waitFailure(t)
	select {
	case <-changed:
		t.Fatal("the feed changed while the log was down")
	default:
	}
	// A reader of a feed that does not know where the log is yet tries to
	// find out itself.
	if es, err := r.Read(t.Context()); len(es) != 0 || !errors.Is(err, down) {
		t.Fatalf("while down: %v, %v", es, err)
	}
	e := l.add("a")
	l.setFail(nil)
	h.Wake("a")
	if es := mustNext(t, r); !slices.Equal(es, []entry{e}) {
		t.Fatalf("after the log came back: %v", es)
	}
	behind := h.Subscribe("a", 0)
	defer behind.Close()
	l.setFail(down)
	if _, err := behind.Read(t.Context()); !errors.Is(err, down) {
		t.Fatalf("a reader behind the ring read %v from a failing log", err)
	}
}

func TestRing(t *testing.T) {
	var q ring[entry]
	for i := range 40 {
		if q.len() == 20 {
			q.pop()
		}
		q.push(entry{pos: int64(i + 1)}, 20)
	}
	if q.len() != 20 || q.front().pos != 21 || len(q.buf) != 20 {
		t.Fatalf("len %d front %v cap %d", q.len(), q.front(), len(q.buf))
	}
	if got := q.after(35, 100, posOf); len(got) != 5 || got[0].pos != 36 {
		t.Fatalf("after 35: %v", got)
	}
	if got := q.after(0, 3, posOf); len(got) != 3 || got[0].pos != 21 {
		t.Fatalf("after 0, 3 at most: %v", got)
	}
	if got := q.after(40, 3, posOf); got != nil {
		t.Fatalf("after the last: %v", got)
	}
	for q.len() > 2 {
		q.pop()
	}
	q.shrink()
	if len(q.buf) != 16 || q.front().pos != 39 {
		t.Fatalf("after shrink: cap %d front %v", len(q.buf), q.front())
	}
	q.pop()
	q.pop()
	q.shrink()
	if q.buf != nil {
		t.Fatal("an empty ring keeps its buffer")
	}
}
