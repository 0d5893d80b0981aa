package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
)

// eventBody is a room event as streams and long polls show it.
type eventBody struct {
	Seq       int64      `json:"seq"`
	Type      string     `json:"type"`
	Room      string     `json:"room"`
	SessionID string     `json:"session_id,omitempty"`
	Time      time.Time  `json:"time"`
	Data      *eventData `json:"data,omitempty"`
}

// eventData is what an event carries: the session after the change, in
// the shape every answer about a session has, or the room; and the
// reason, source or request where they apply.
type eventData struct {
	Session *sessionBody `json:"session,omitempty"`
	Room    *roomBody    `json:"room,omitempty"`
	Reason  string       `json:"reason,omitempty"`
	Source  string       `json:"source,omitempty"`
	Request *requestBody `json:"request,omitempty"`
}

func eventOf(e authority.Event) eventBody {
	out := eventBody{Seq: e.Seq, Type: e.Type, Room: e.Room, SessionID: e.SessionID, Time: e.Time.UTC()}
	d := eventData{Reason: e.Reason, Source: e.Source}
	if e.Session != nil {
		v := sessionOf(*e.Session)
		d.Session = &v
	}
	if e.RoomInfo != nil {
		v := roomOf(*e.RoomInfo)
		d.Room = &v
	}
	if e.Request != nil {
		v := requestOf(*e.Request)
		d.Request = &v
	}
	if d != (eventData{}) {
		out.Data = &d
	}
	return out
}

type eventPage struct {
	Events []eventBody `json:"events"`
	Cursor int64       `json:"cursor"`
	// End is there when the stream ended for good: the data of the SSE
	// end event.
	End *streamEnd `json:"end,omitempty"`
}

// streamEnd is the data of the last event of a stream that ended for
// good, naming why (authority.EndReason).
type streamEnd struct {
	Reason authority.EndReason `json:"reason"`
}

// maxEventWait bounds a long poll.
const maxEventWait = 60 * time.Second

// roomEvents serves a room's events: as Server-Sent Events, or to a client
// asking for application/json, as one long poll.
func (s *Server) roomEvents(w http.ResponseWriter, r *http.Request) error {
	actor, err := s.actor(r)
	if err != nil {
		return err
	}
	after, err := eventCursor(r)
	if err != nil {
		return err
	}
	poll := wantsJSON(r)
	var wait time.Duration
	if poll {
		if wait, err = eventWait(r.URL.Query().Get("wait")); err != nil {
			return err
		}
	}
	st, err := s.auth.Events(r.Context(), actor, r.PathValue("room"))
	if err != nil {
		return err
	}
	defer st.Close()
	release, err := s.slots.acquire(st.Credential())
	if err != nil {
		return err
	}
	defer release()
	// The server's read and write timeouts are meant for requests, not for
	// streams: the read deadline is lifted, the write deadline moved ahead
	// before every wait and write. Streams end when the server shuts down,
	// which would otherwise wait for them.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.streams, cancel)()
	if poll {
		rc.SetWriteDeadline(time.Now().Add(wait + 10*time.Second))
		return s.longPoll(ctx, w, st, after, wait)
	}
	s.stream(ctx, w, rc, st, after)
	return nil
}

// EndStreams ends every event stream and long poll, now and from now on,
// so that http.Server.Shutdown, which waits for them, can finish: register
// it with http.Server.RegisterOnShutdown.
func (s *Server) EndStreams() { s.endStreams() }

// eventCursor is where a client resumes: after the Last-Event-ID it saw,
// else after ?after=, else from the room's first event kept.
func eventCursor(r *http.Request) (int64, error) {
	v, field := r.Header.Get("Last-Event-ID"), "Last-Event-ID"
	if v == "" {
		v, field = r.URL.Query().Get("after"), "after"
	}
	if v == "" {
		return 0, nil
	}
	return parseCursor(field, v)
}

// eventWait reads ?wait= as a duration ("25s") or whole seconds.
func eventWait(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.Atoi(v)
		d, err = time.Duration(n)*time.Second, nerr
	}
	if err != nil || d < 0 || d > maxEventWait {
		return 0, &access.InvalidError{Field: "wait", Detail: "must be a duration between 0s and 60s"}
	}
	return d, nil
}

// wantsJSON reports a client that asks for JSON rather than an event stream.
func wantsJSON(r *http.Request) bool {
	asked := false
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		switch {
		case err != nil:
		case mt == "text/event-stream":
			return false
		case mt == "application/json":
			asked = true
		}
	}
	return asked
}

// longPoll answers the events after the cursor, waiting up to wait for
// some, and the cursor to ask with next.
func (s *Server) longPoll(ctx context.Context, w http.ResponseWriter, st *authority.EventStream, after int64, wait time.Duration) error {
	events, next, err := st.Next(ctx, after, wait)
	if err != nil && ctx.Err() == nil {
		return err
	}
	out := eventPage{Events: make([]eventBody, len(events)), Cursor: next}
	for i, e := range events {
		out.Events[i] = eventOf(e)
	}
	if end := st.End(); end != "" {
		out.End = &streamEnd{Reason: end}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// stream writes Server-Sent Events until the client leaves, the server
// shuts down or the stream ends for good: each event with its Seq as id,
// a comment as heartbeat when nothing happened for a ping interval, and
// last, when the stream ended for good, an end event naming why.
func (s *Server) stream(ctx context.Context, w http.ResponseWriter, rc *http.ResponseController, st *authority.EventStream, cursor int64) {
	extend := func() { rc.SetWriteDeadline(time.Now().Add(s.ping + 10*time.Second)) }
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	extend()
	w.WriteHeader(http.StatusOK)
	buf := bufio.NewWriter(w)
	fmt.Fprint(buf, ": stream\n\n")
	for {
		if buf.Flush() != nil || rc.Flush() != nil {
			return
		}
		if end := st.End(); end != "" {
			data, _ := json.Marshal(streamEnd{Reason: end})
			fmt.Fprintf(buf, "event: end\ndata: %s\n\n", data)
			buf.Flush()
			rc.Flush()
			return
		}
		extend()
		events, next, err := st.Next(ctx, cursor, s.ping)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("event stream failed", "err", err)
			}
			return
		}
		if len(events) == 0 && st.End() == "" {
			fmt.Fprint(buf, ": ping\n\n")
		}
		for _, e := range events {
			data, _ := json.Marshal(eventOf(e))
			fmt.Fprintf(buf, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, data)
		}
		cursor = next
		extend()
	}
}
