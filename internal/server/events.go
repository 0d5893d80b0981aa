package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// eventFrame renders an event as a Server-Sent Event: its Seq as id, its
// type as event, and its body as data. A node renders each event once
// (authority.Event.Wire), for every stream and long poll that shows it.
func eventFrame(e authority.Event) []byte {
	// Marshalling the event's strings, numbers and times cannot fail.
	data, _ := json.Marshal(eventOf(e))
	b := fmt.Appendf(make([]byte, 0, len(data)+len(e.Type)+40), "id: %d\nevent: %s\ndata: ", e.Seq, e.Type)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

// frameData is the body of the event a frame carries.
func frameData(frame []byte) json.RawMessage {
	_, data, _ := bytes.Cut(frame, []byte("\ndata: "))
	return data[:len(data)-2]
}

type eventPage struct {
	Events []json.RawMessage `json:"events"`
	Cursor int64             `json:"cursor"`
	// End is there when the stream ended for good: the data of the SSE
	// end event.
	End *streamEnd `json:"end,omitempty"`
}

// streamEnd is the data of the last event of a stream that ended, naming
// why (authority.EndReason).
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
	st, err := s.auth.Events(r.Context(), actor, r.PathValue("room"), after)
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
	// before every write. Streams end when the server shuts down, which
	// would otherwise wait for them.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.streams, cancel)()
	if poll {
		rc.SetWriteDeadline(time.Now().Add(wait + 10*time.Second))
		return s.longPoll(ctx, w, st, wait)
	}
	s.stream(ctx, w, rc, st)
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
func (s *Server) longPoll(ctx context.Context, w http.ResponseWriter, st *authority.EventStream, wait time.Duration) error {
	stop := make(chan struct{})
	timer := time.AfterFunc(wait, func() { close(stop) })
	defer timer.Stop()
	events, err := st.Next(ctx, stop)
	if err != nil && ctx.Err() == nil {
		return err
	}
	out := eventPage{Events: make([]json.RawMessage, len(events)), Cursor: st.Cursor()}
	for i, e := range events {
		out.Events[i] = frameData(e.Wire(eventFrame))
	}
	if end := st.End(); end != "" {
		out.End = &streamEnd{Reason: end}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// stream writes Server-Sent Events until the client leaves, the server
// shuts down or the stream ends: each event with its Seq as id, a comment
// as heartbeat when nothing was written for a ping interval, and last,
// when the stream ended, an end event naming why. A write that cannot be
// made within the ping interval and ten seconds cuts the stream.
func (s *Server) stream(ctx context.Context, w http.ResponseWriter, rc *http.ResponseController, st *authority.EventStream) {
	extend := func() { rc.SetWriteDeadline(time.Now().Add(s.ping + 10*time.Second)) }
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	extend()
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, ": stream\n\n")
	if rc.Flush() != nil {
		return
	}
	defer s.pulse.listen()()
	beat := s.pulse.next()
	// wrote says whether anything was written since the last beat; a
	// stream idle from one beat to the next sends a heartbeat.
	wrote := true
	for {
		events, err := st.Next(ctx, beat)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("event stream failed", "err", err)
			}
			return
		}
		end := st.End()
		if len(events) == 0 && end == "" {
			if !wrote {
				extend()
				io.WriteString(w, ": ping\n\n")
			}
			wrote = false
			beat = s.pulse.next()
		}
		if len(events) > 0 {
			extend()
			wrote = true
		}
		for _, e := range events {
			w.Write(e.Wire(eventFrame))
		}
		if end != "" {
			data, _ := json.Marshal(streamEnd{Reason: end})
			extend()
			fmt.Fprintf(w, "event: end\ndata: %s\n\n", data)
			rc.Flush()
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}
