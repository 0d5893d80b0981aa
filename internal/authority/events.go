package authority

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/fanout"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/token"
)

// EventPoll bounds how long an event stream goes on once its credential
// no longer holds (a quarter of it, or of the poll interval if shorter, is
// how often the node checks), and how often the node reads the store for
// room events that other processes wrote without the change feed telling.
const EventPoll = time.Second

// EndReason says why an event stream ended.
type EndReason string

// The reasons a stream ends. Every reason but EndTooSlow ends it for good:
// following the room again with the same credential would end the same
// way. A stream also ends, with no reason, when its client leaves or the
// server shuts down; the client may then resume.
const (
	// EndTokenExpired: the stream's token reached its exp.
	EndTokenExpired EndReason = "token_expired"
	// EndTokenRevoked: the stream's token matches a revocation, its API
	// key was revoked, or it no longer verifies for another reason.
	EndTokenRevoked EndReason = "token_revoked"
	// EndKeyRevoked: the API key the stream was opened with was revoked.
	EndKeyRevoked EndReason = "key_revoked"
	// EndSessionEnded: the viewer's own session in the room ended (left,
	// kicked, rejected, expired).
	EndSessionEnded EndReason = "session_ended"
	// EndRoomEnded: the room ended.
	EndRoomEnded EndReason = "room_ended"
	// EndTooSlow: the stream fell further behind the room's events than
	// the node keeps in memory for its streams. The client may follow
	// again at once, resuming after the last event it got.
	EndTooSlow EndReason = "too_slow"
)

// roomStreams fans each followed room's events out to the streams of this
// node: one feed per room reads each new event once from the store, on the
// change feed's word (roomChanged), into a ring its streams share. One
// loop, running while streams are open, checks their credentials, trims
// the rings and looks for events other processes wrote.
type roomStreams struct {
	a     *Authority
	feeds *fanout.Hub[roomKey, Event]

	mu sync.Mutex
	// open holds the streams whose credentials are watched.
	open map[*EventStream]struct{}
	// stop ends the loop; nil while it does not run.
	stop context.CancelFunc
	// seen is the newest room event the change feed reported.
	seen int64
}

func newRoomStreams(a *Authority, ring int) *roomStreams {
	rs := &roomStreams{a: a, open: make(map[*EventStream]struct{})}
	rs.feeds = fanout.New(fanout.Config[roomKey, Event]{
		Head: func(ctx context.Context, k roomKey) (int64, error) {
			return a.store.RoomEventCursor(ctx, k.app, k.room)
		},
		Read:   rs.read,
		Pos:    func(e Event) int64 { return e.Seq },
		Ring:   ring,
		Page:   eventPage,
		Retry:  EventPoll,
		Logger: a.log,
	})
	return rs
}

// eventPage caps the events read at once.
const eventPage = 500

// read reads a room's events after seq, each to be rendered once however
// many streams show it.
func (rs *roomStreams) read(ctx context.Context, k roomKey, after int64, limit int) ([]Event, error) {
	read, err := rs.a.store.ListRoomEvents(ctx, k.app, k.room, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Event, len(read))
	for i, e := range read {
		out[i] = eventOf(e)
		out[i].wire = new(wireOnce)
	}
	return out, nil
}

// changed takes in a room change the feed reported.
func (rs *roomStreams) changed(k roomKey, cursor int64) {
	rs.mu.Lock()
	rs.seen = max(rs.seen, cursor)
	rs.mu.Unlock()
	rs.feeds.Wake(k)
}

// watch starts checking st's credential.
func (rs *roomStreams) watch(st *EventStream) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.open[st] = struct{}{}
	if rs.stop == nil {
		ctx, stop := context.WithCancel(context.Background())
		rs.stop = stop
		go rs.loop(ctx)
	}
}

// unwatch stops checking st's credential, and the loop with the last
// stream.
func (rs *roomStreams) unwatch(st *EventStream) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	delete(rs.open, st)
	if len(rs.open) == 0 && rs.stop != nil {
		rs.stop()
		rs.stop = nil
	}
}

// loop checks the credentials of the open streams four times per poll
// interval (at most EventPoll); once per poll interval it trims the rings
// and reads the store for room events no change reported.
func (rs *roomStreams) loop(ctx context.Context) {
	every := min(rs.a.poll, EventPoll) / 4
	tick := time.NewTicker(every)
	defer tick.Stop()
	var polled int64
	failing := false
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		rs.checkCredentials()
		if n%4 != 0 {
			continue
		}
		rs.feeds.Trim()
		cursor, err := rs.a.store.EventCursor(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if !failing {
				rs.a.log.Warn("looking for room events failed; trying again", "err", err)
			}
			failing = true
			continue
		case failing:
			failing = false
			rs.a.log.Info("looking for room events works again")
		}
		rs.catchUp(polled)
		polled = cursor
	}
}

// catchUp wakes every feed if the change feed has not reported, one poll
// interval later, the events that the store held then: another process
// wrote them (SQLite), or notifications were lost.
func (rs *roomStreams) catchUp(polled int64) {
	rs.mu.Lock()
	missed := polled > rs.seen
	rs.seen = max(rs.seen, polled)
	rs.mu.Unlock()
	if missed {
		rs.feeds.WakeAll()
	}
}

// checkCredentials ends the streams whose credential no longer holds.
func (rs *roomStreams) checkCredentials() {
	now, gen := rs.a.now(), rs.a.revs.Generation()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for st := range rs.open {
		if end := st.credentialEnd(now, gen); end != "" {
			st.cut <- end
			delete(rs.open, st)
		}
	}
}

// wireOnce holds an event's rendering, made once for every stream of the
// node that shows the event.
type wireOnce struct {
	once sync.Once
	b    []byte
}

// Wire returns render(e), computed once for e and every copy of it read
// from the same room feed: the streams of a node that show one event share
// its bytes, which nobody may change.
func (e Event) Wire(render func(Event) []byte) []byte {
	if e.wire == nil {
		return render(e)
	}
	e.wire.once.Do(func() { e.wire.b = render(e) })
	return e.wire.b
}

// EventStream reads a room's events in order for one viewer, from where
// it was opened. A participant waiting to be admitted sees only its own
// session's events until it is admitted. The stream ends with the viewer's
// session, with the room, and with the credential it was opened with (at
// the latest a quarter of EventPoll after it stops holding), and when it
// falls too far behind (EndTooSlow).
type EventStream struct {
	a         *Authority
	app, room string
	// key is the API key the stream was opened with; v the access token
	// otherwise, and until its exp.
	key   string
	v     *Verified
	until time.Time
	// gen is the revocation generation the token was last checked at.
	gen uint64
	// own is the viewer's session; waiting says it is not admitted yet.
	own     string
	waiting bool
	// cursor is the Seq of the last event looked at.
	cursor int64
	// reader follows the room from the first Next on.
	reader *fanout.Reader[roomKey, Event]
	// cut receives why the credential no longer holds.
	cut chan EndReason
	end EndReason
}

// Events opens room's event stream after the event whose Seq is after (0:
// from the room's first event kept): for an API key, for a participant
// with a session in the room (waiting or joined), and for a token holding
// a moderate.* permission in the room. Close it when done.
func (a *Authority) Events(ctx context.Context, actor Principal, room string, after int64) (*EventStream, error) {
	gen := a.revs.Generation()
	p, err := a.party(ctx, actor, room)
	if err != nil {
		return nil, err
	}
	if _, err := a.getRoom(ctx, p.app, room); err != nil {
		return nil, err
	}
	st := &EventStream{a: a, app: p.app, room: room, gen: gen, cursor: after}
	if p.key != nil {
		st.key = p.key.KeyID
		return st, nil
	}
	own, found, err := a.ownSession(ctx, p.app, room, p.identity)
	if err != nil {
		return nil, err
	}
	if !found && p.v.Grants.Permissions&access.Moderate == 0 {
		return nil, notAdmitted("only participants in the room and moderators may follow its events")
	}
	st.v, st.until = p.v, p.v.Claims.ExpiresAt
	st.own, st.waiting = own.ID, own.State == storage.SessionWaiting
	return st, nil
}

// Credential names what the stream was opened with, for limits on the
// streams one credential may hold: the API key, or the access token by its
// app and jti (every token has a jti; a refreshed token has a new one).
func (st *EventStream) Credential() string {
	if st.key != "" {
		return "api_key:" + st.key
	}
	return "token:" + st.app + ":" + st.v.Claims.ID
}

// Close ends the stream.
func (st *EventStream) Close() {
	if st.reader != nil {
		st.reader.Close()
		st.a.rooms.streams.unwatch(st)
	}
}

// End is why the stream has shown all it will, or "" while it goes on.
func (st *EventStream) End() EndReason { return st.end }

// Cursor is the Seq to resume after: past the events returned, and past
// those the viewer may not see.
func (st *EventStream) Cursor() int64 { return st.cursor }

// Next returns the next events the viewer may see, waiting until some
// come, the stream ends (End), stop is closed or ctx ends; none means the
// stream ended or stop came first.
func (st *EventStream) Next(ctx context.Context, stop <-chan struct{}) ([]Event, error) {
	if st.reader == nil && !st.begin() {
		return nil, nil
	}
	for st.end == "" {
		select {
		case st.end = <-st.cut:
			return nil, nil
		default:
		}
		changed := st.reader.Changed()
		read, err := st.reader.Read(ctx)
		switch {
		case errors.Is(err, fanout.ErrLapped):
			st.end = EndTooSlow
			return nil, nil
		case err != nil:
			return nil, err
		}
		if events := st.filter(read); len(events) > 0 || st.end != "" {
			return events, nil
		}
		if len(read) > 0 {
			continue
		}
		select {
		case <-changed:
		case st.end = <-st.cut:
		case <-stop:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, nil
}

// begin follows the room and watches the credential, unless the token
// expired since the stream opened; it reports whether the stream goes on.
// Whatever else changed since is caught by the first check, as the
// generation the token was verified at is older.
func (st *EventStream) begin() bool {
	if st.v != nil && !st.a.now().Before(st.until) {
		st.end = EndTokenExpired
		return false
	}
	st.cut = make(chan EndReason, 1)
	st.reader = st.a.rooms.streams.feeds.Subscribe(roomKey{st.app, st.room}, st.cursor)
	st.a.rooms.streams.watch(st)
	return true
}

// filter keeps what the viewer may see of read, stops after the event
// that ends the stream, and moves the cursor past what it looked at.
func (st *EventStream) filter(read []Event) []Event {
	var out []Event
	for _, e := range read {
		st.cursor = e.Seq
		own := st.own != "" && e.SessionID == st.own
		if st.waiting && !own {
			continue
		}
		out = append(out, e)
		switch {
		case own && e.Type == storage.EventSessionAdmitted:
			st.waiting = false
		case own && e.Type == storage.EventSessionEnded:
			st.end = EndSessionEnded
			return out
		case e.Type == storage.EventRoomEnded:
			st.end = EndRoomEnded
			return out
		}
	}
	return out
}

// credentialEnd is why the stream's credential no longer holds at now, or
// "" if it does. An API key must still be live; a token must not have
// expired, and is checked again, signature aside, once revocations moved
// since it was last checked (gen).
func (st *EventStream) credentialEnd(now time.Time, gen uint64) EndReason {
	if st.key != "" {
		if _, ok := st.a.liveKey(st.key); !ok {
			return EndKeyRevoked
		}
		return ""
	}
	if !now.Before(st.until) {
		return EndTokenExpired
	}
	if gen == st.gen {
		return ""
	}
	st.gen = gen
	err := st.a.tokens.Recheck(st.v, st.room)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, token.ErrExpired):
		return EndTokenExpired
	}
	return EndTokenRevoked
}
