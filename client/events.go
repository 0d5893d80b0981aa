package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	sse "github.com/tmaxmax/go-sse"
)

// Room event types.
const (
	EventRoomCreated        = "room.created"
	EventRoomEnded          = "room.ended"
	EventSessionJoined      = "session.joined"
	EventSessionWaiting     = "session.waiting"
	EventSessionAdmitted    = "session.admitted"
	EventSessionEnded       = "session.ended"
	EventProduceStarted     = "produce.started"
	EventProduceStopped     = "produce.stopped"
	EventPermissionsChanged = "permissions.changed"
	EventRequestCreated     = "request.created"
	EventRequestResolved    = "request.resolved"
)

// Event is one thing that happened in a room (RoomEvent). Seq increases
// strictly: it is where a stream resumes.
type Event struct {
	Seq       int64     `json:"seq"`
	Type      string    `json:"type"`
	Room      string    `json:"room"`
	SessionID string    `json:"session_id,omitempty"`
	Time      time.Time `json:"time"`
	// Data is the event's JSON; Decode reads it.
	Data json.RawMessage `json:"data,omitempty"`
}

// EventData is what an event carries (RoomEventData): the session after
// the change, in the shape of every answer about a session, or the room
// for room.*; and the reason, source or request where they apply.
type EventData struct {
	Session *Session `json:"session,omitempty"`
	Room    *Room    `json:"room,omitempty"`
	// Reason is why a session ended, for session.ended.
	Reason string `json:"reason,omitempty"`
	// Source is the source started or stopped, for produce.*.
	Source string `json:"source,omitempty"`
	// Request is the permission request, for request.*.
	Request *PermissionRequest `json:"request,omitempty"`
}

// Decode reads the event's data.
func (e Event) Decode() (EventData, error) {
	var d EventData
	if len(e.Data) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(e.Data, &d); err != nil {
		return d, fmt.Errorf("client: data of event %d (%s): %w", e.Seq, e.Type, err)
	}
	return d, nil
}

// EventPage is the answer of a long poll.
type EventPage struct {
	Events []Event `json:"events"`
	// Cursor is where to ask from next.
	Cursor int64 `json:"cursor"`
	// End is there when the events ended for good for this credential.
	End *StreamEnd `json:"end,omitempty"`
}

// StreamEnd says why a room's events ended for good for one credential:
// token_expired, token_revoked, key_revoked, session_ended or room_ended.
type StreamEnd struct {
	Reason string `json:"reason"`
}

// StreamEndedError reports events that ended for good: following again
// with the same credential would end the same way.
type StreamEndedError struct {
	Room   string
	Reason string
}

func (e *StreamEndedError) Error() string {
	return fmt.Sprintf("stagedoor: events of room %q ended: %s", e.Room, e.Reason)
}

// PollEvents is one long poll: the room's events after the cursor,
// waiting up to wait (at most 60s) for some.
func (c *Client) PollEvents(ctx context.Context, room string, after int64, wait time.Duration) (EventPage, error) {
	var page EventPage
	p, err := roomPath(room)
	if err != nil {
		return page, err
	}
	q := url.Values{"after": {strconv.FormatInt(after, 10)}, "wait": {wait.String()}}
	ctx, cancel := context.WithTimeout(ctx, wait+c.timeout)
	defer cancel()
	err = c.do(ctx, call{method: http.MethodGet, path: p + "/events", query: q, header: http.Header{"Accept": {"application/json"}}, long: true}, &page)
	return page, err
}

// maxEventBytes caps one event of a stream.
const maxEventBytes = 1 << 20

// streamIdle is how long a stream may stay silent before it counts as
// dropped: the server sends a ping every 15s.
const streamIdle = 45 * time.Second

// FollowEvents calls fn with each of room's events after the cursor, in
// order, each once, until ctx ends, fn returns an error, or the events end
// for good. A dropped stream (a network failure, a 5xx, a server that
// restarts or goes silent) is opened again after a backoff, resuming with
// Last-Event-ID after the last event fn saw: no event is lost or repeated.
// With a TokenSource, a stream that ended because its token expired or
// was revoked is opened again with the source's current token.
//
// It returns ctx's error, fn's, a *StreamEndedError, or the *Error of a
// refusal that asking again would not change (401, 403, 404...).
func (c *Client) FollowEvents(ctx context.Context, room string, after int64, fn func(Event) error) error {
	p, err := roomPath(room)
	if err != nil {
		return err
	}
	f := follower{c: c, room: room, path: p + "/events", cursor: after, fn: fn}
	return f.run(ctx)
}

// follower is one FollowEvents.
type follower struct {
	c      *Client
	room   string
	path   string
	cursor int64
	fn     func(Event) error
}

// errFnStopped wraps an error fn returned.
type errFnStopped struct{ err error }

func (e errFnStopped) Error() string { return e.err.Error() }

func (f *follower) run(ctx context.Context) error {
	b := f.c.backoff
	for failures := 0; ; {
		progressed, err := f.stream(ctx)
		var stop errFnStopped
		var end *StreamEndedError
		switch {
		case errors.As(err, &stop):
			return stop.err
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &end):
			if f.c.tokens == nil || (end.Reason != "token_expired" && end.Reason != "token_revoked") {
				return err
			}
		case err != nil && !temporary(err):
			return err
		}
		if progressed {
			failures = 0
		}
		failures++
		if !wait(ctx, f.c.clock, b.delay(failures, err)) {
			return ctx.Err()
		}
	}
}

// stream follows one connection until it ends; progressed says it opened.
func (f *follower) stream(ctx context.Context) (progressed bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h := http.Header{"Accept": {"text/event-stream"}}
	if f.cursor > 0 {
		h.Set("Last-Event-ID", strconv.FormatInt(f.cursor, 10))
	}
	resp, done, err := f.c.send(ctx, call{method: http.MethodGet, path: f.path, header: h, long: true})
	if err != nil {
		return false, err
	}
	defer done()
	defer resp.Body.Close()
	body := newIdleReader(resp.Body, streamIdle, cancel)
	defer body.stop()
	for ev, err := range sse.Read(body, &sse.ReadConfig{MaxEventSize: maxEventBytes}) {
		if err != nil {
			// The stream broke: never a reason to stop following, even
			// when it was this function that cancelled a silent one.
			return true, fmt.Errorf("stagedoor: event stream of room %q broke: %v", f.room, err)
		}
		if ev.Type == "end" {
			var end StreamEnd
			json.Unmarshal([]byte(ev.Data), &end)
			return true, &StreamEndedError{Room: f.room, Reason: end.Reason}
		}
		var e Event
		if err := json.Unmarshal([]byte(ev.Data), &e); err != nil {
			return true, fmt.Errorf("stagedoor: event stream of room %q: %w", f.room, err)
		}
		if e.Seq <= f.cursor {
			continue
		}
		if err := f.fn(e); err != nil {
			return true, errFnStopped{err}
		}
		f.cursor = e.Seq
	}
	return true, io.ErrUnexpectedEOF
}

// idleReader cancels a stream that stays silent for longer than idle.
type idleReader struct {
	r     io.Reader
	idle  time.Duration
	timer *time.Timer
}

func newIdleReader(r io.Reader, idle time.Duration, cancel func()) *idleReader {
	return &idleReader{r: r, idle: idle, timer: time.AfterFunc(idle, cancel)}
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.timer.Reset(r.idle)
	}
	return n, err
}

func (r *idleReader) stop() { r.timer.Stop() }
