package authority

import (
	"context"
	"sync"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// roomHub wakes the event streams of a room when the feed reports a
// change in it.
type roomHub struct {
	mu   sync.Mutex
	subs map[roomKey]map[chan struct{}]struct{}
}

func newRoomHub() *roomHub { return &roomHub{subs: make(map[roomKey]map[chan struct{}]struct{})} }

// subscribe returns a channel that receives after each change of the room,
// coalesced, and the function that ends the subscription.
func (h *roomHub) subscribe(k roomKey) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.subs[k] == nil {
		h.subs[k] = make(map[chan struct{}]struct{})
	}
	h.subs[k][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[k], ch)
		if len(h.subs[k]) == 0 {
			delete(h.subs, k)
		}
		h.mu.Unlock()
	}
}

func (h *roomHub) notify(k roomKey) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[k] {
		wake(ch)
	}
}

func (h *roomHub) notifyAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, subs := range h.subs {
		for ch := range subs {
			wake(ch)
		}
	}
}

func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// EventPoll is how often an event stream reads the store when no change
// is reported, in case a notification was lost.
const EventPoll = time.Second

// eventPage caps the events read at once.
const eventPage = 500

// EventStream reads a room's events in order for one viewer. A
// participant waiting to be admitted sees only its own session's events
// until it is admitted; a participant's stream ends with its session, any
// stream with the room, and a token's stream when the token expires.
type EventStream struct {
	a         *Authority
	app, room string
	// own is the viewer's session; waiting says it is not admitted yet.
	own     string
	waiting bool
	// until is when the viewer's token expires; zero for an API key.
	until  time.Time
	wake   <-chan struct{}
	cancel func()
	over   bool
}

// Events opens room's event stream: for an API key, for a participant
// with a session in the room (waiting or joined), and for a token holding
// a moderate.* permission in the room. Close it when done.
func (a *Authority) Events(ctx context.Context, actor Actor, room string) (*EventStream, error) {
	p, err := a.party(ctx, actor, room)
	if err != nil {
		return nil, err
	}
	if _, err := a.getRoom(ctx, p.app, room); err != nil {
		return nil, err
	}
	st := &EventStream{a: a, app: p.app, room: room}
	if p.v != nil {
		sessions, err := a.store.ListSessions(ctx, p.app, room)
		if err != nil {
			return nil, err
		}
		own, found := findParticipant(sessions, p.identity)
		if !found && p.v.Grants.Permissions&access.Moderate == 0 {
			return nil, notAdmitted("only participants in the room and moderators may follow its events")
		}
		st.own, st.waiting, st.until = own.ID, own.State == storage.SessionWaiting, p.v.Claims.ExpiresAt
	}
	st.wake, st.cancel = a.rooms.hub.subscribe(roomKey{p.app, room})
	return st, nil
}

// Close ends the stream's subscription.
func (st *EventStream) Close() { st.cancel() }

// Over reports that the stream has shown all it will.
func (st *EventStream) Over() bool { return st.over }

// Next returns the events after cursor the viewer may see, waiting up to
// wait for some; none means none came in time, or the stream is over.
// next is the cursor to ask with next time, past events the viewer may
// not see too.
func (st *EventStream) Next(ctx context.Context, cursor int64, wait time.Duration) (events []storage.RoomEvent, next int64, err error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	poll := time.NewTicker(min(EventPoll, st.a.poll))
	defer poll.Stop()
	for {
		if !st.until.IsZero() && !st.a.now().Before(st.until) {
			st.over = true
		}
		if st.over {
			return nil, cursor, nil
		}
		read, err := st.a.store.ListRoomEvents(ctx, st.app, st.room, cursor, eventPage)
		if err != nil {
			return nil, cursor, err
		}
		events, cursor = st.filter(read, cursor)
		if len(events) > 0 || st.over {
			return events, cursor, nil
		}
		if len(read) == eventPage {
			continue
		}
		select {
		case <-ctx.Done():
			return nil, cursor, ctx.Err()
		case <-timer.C:
			return nil, cursor, nil
		case <-st.wake:
		case <-poll.C:
		}
	}
}

// filter keeps what the viewer may see of read, stops after the event
// that ends the stream, and returns the cursor past what it looked at.
func (st *EventStream) filter(read []storage.RoomEvent, cursor int64) ([]storage.RoomEvent, int64) {
	var out []storage.RoomEvent
	for _, e := range read {
		cursor = e.Seq
		own := st.own != "" && e.SessionID == st.own
		if st.waiting && !own {
			continue
		}
		out = append(out, e)
		switch {
		case own && e.Type == storage.EventSessionAdmitted:
			st.waiting = false
		case own && e.Type == storage.EventSessionEnded, e.Type == storage.EventRoomEnded:
			st.over = true
			return out, cursor
		}
	}
	return out, cursor
}
