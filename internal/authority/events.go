package authority

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/token"
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

// EndReason says why an event stream ended for good: following the room
// again with the same credential would end the same way.
type EndReason string

// The reasons a stream ends. A stream also ends, with no reason, when its
// client leaves or the server shuts down; the client may then resume.
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
)

// EventStream reads a room's events in order for one viewer. A
// participant waiting to be admitted sees only its own session's events
// until it is admitted. The stream ends with the viewer's session, with
// the room, and with the credential it was opened with: checked on every
// read, so at the latest one EventPoll after the credential expired or was
// revoked.
type EventStream struct {
	a         *Authority
	app, room string
	// key is the API key the stream was opened with; token the access
	// token otherwise.
	key   string
	token string
	// jti is the token's id, which names the credential.
	jti string
	// own is the viewer's session; waiting says it is not admitted yet.
	own     string
	waiting bool
	// until is when the viewer's token expires.
	until  time.Time
	wake   <-chan struct{}
	cancel func()
	end    EndReason
}

// Events opens room's event stream: for an API key, for a participant
// with a session in the room (waiting or joined), and for a token holding
// a moderate.* permission in the room. Close it when done.
func (a *Authority) Events(ctx context.Context, actor Principal, room string) (*EventStream, error) {
	p, err := a.party(ctx, actor, room)
	if err != nil {
		return nil, err
	}
	if _, err := a.getRoom(ctx, p.app, room); err != nil {
		return nil, err
	}
	st := &EventStream{a: a, app: p.app, room: room}
	if p.key != nil {
		st.key = p.key.KeyID
	} else {
		sessions, err := a.store.ListSessions(ctx, p.app, room)
		if err != nil {
			return nil, err
		}
		own, found := findParticipant(sessions, p.identity)
		if !found && p.v.Grants.Permissions&access.Moderate == 0 {
			return nil, notAdmitted("only participants in the room and moderators may follow its events")
		}
		st.token, st.jti, st.until = actor.Token, p.v.Claims.ID, p.v.Claims.ExpiresAt
		st.own, st.waiting = own.ID, own.State == storage.SessionWaiting
	}
	st.wake, st.cancel = a.rooms.hub.subscribe(roomKey{p.app, room})
	return st, nil
}

// Credential names what the stream was opened with, for limits on the
// streams one credential may hold: the API key, or the access token by its
// app and jti (every token has a jti; a refreshed token has a new one).
func (st *EventStream) Credential() string {
	if st.key != "" {
		return "api_key:" + st.key
	}
	return "token:" + st.app + ":" + st.jti
}

// Close ends the stream's subscription.
func (st *EventStream) Close() { st.cancel() }

// End is why the stream has shown all it will, or "" while it goes on.
func (st *EventStream) End() EndReason { return st.end }

// Next returns the events after cursor the viewer may see, waiting up to
// wait for some; none means none came in time, or the stream ended (End).
// next is the cursor to ask with next time, past events the viewer may
// not see too.
func (st *EventStream) Next(ctx context.Context, cursor int64, wait time.Duration) (events []Event, next int64, err error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	poll := time.NewTicker(min(EventPoll, st.a.poll))
	defer poll.Stop()
	for {
		if st.end == "" {
			st.end = st.credentialEnd(ctx)
		}
		if st.end != "" {
			return nil, cursor, nil
		}
		read, err := st.a.store.ListRoomEvents(ctx, st.app, st.room, cursor, eventPage)
		if err != nil {
			return nil, cursor, err
		}
		events, cursor = st.filter(read, cursor)
		if len(events) > 0 || st.end != "" {
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
func (st *EventStream) filter(read []storage.RoomEvent, cursor int64) ([]Event, int64) {
	var out []Event
	for _, e := range read {
		cursor = e.Seq
		own := st.own != "" && e.SessionID == st.own
		if st.waiting && !own {
			continue
		}
		out = append(out, eventOf(e))
		switch {
		case own && e.Type == storage.EventSessionAdmitted:
			st.waiting = false
		case own && e.Type == storage.EventSessionEnded:
			st.end = EndSessionEnded
			return out, cursor
		case e.Type == storage.EventRoomEnded:
			st.end = EndRoomEnded
			return out, cursor
		}
	}
	return out, cursor
}

// credentialEnd is why the stream's credential no longer holds, or "" if
// it does. A token goes through the same verification as on every
// request, revocations included; an API key must still be live.
func (st *EventStream) credentialEnd(ctx context.Context) EndReason {
	if st.key != "" {
		if _, ok := st.a.liveKey(st.key); !ok {
			return EndKeyRevoked
		}
		return ""
	}
	if !st.a.now().Before(st.until) {
		return EndTokenExpired
	}
	_, err := st.a.tokens.Verify(ctx, st.token, st.room)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, token.ErrExpired):
		return EndTokenExpired
	}
	return EndTokenRevoked
}
