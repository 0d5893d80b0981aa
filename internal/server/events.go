package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net"
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
	release, err := s.slots.acquire(st.Credential())
	if err != nil {
		st.Close()
		return err
	}
	done := func() {
		release()
		st.Close()
	}
	// The server's read and write timeouts are meant for requests, not for
	// streams: the read deadline is lifted, the write deadline moved ahead
	// before every write. Streams end when the server shuts down, which
	// would otherwise wait for them.
	rc := http.NewResponseController(w)
	if !poll && r.Method == http.MethodGet && r.ProtoMajor == 1 {
		// An HTTP/1.x stream takes its connection from the HTTP server: an
		// idle stream then holds no goroutine, stack or buffers of the HTTP
		// server, only the two of detached. Bytes the client sent after its
		// request are not read: nothing comes after a stream's request.
		if conn, _, err := rc.Hijack(); err == nil {
			go s.detached(conn, takenHead(w.Header()), st, done)
			return nil
		}
	}
	defer done()
	rc.SetReadDeadline(time.Time{})
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.streams, cancel)()
	if poll {
		rc.SetWriteDeadline(time.Now().Add(wait + 10*time.Second))
		return s.longPoll(ctx, w, st, wait)
	}
	setStreamHeader(w.Header())
	out := responseSink{w: w, rc: rc, timeout: s.writeTimeout()}
	w.WriteHeader(http.StatusOK)
	if out.send(streamOpening) == nil {
		s.stream(ctx, out, st)
	}
	return nil
}

// streamOpening is the first thing a stream writes, so that a client
// knows it is open before any event.
var streamOpening = []byte(": stream\n\n")

func setStreamHeader(h http.Header) {
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
}

// writeTimeout bounds each write of a stream: a client that does not take
// a heartbeat within it is cut off.
func (s *Server) writeTimeout() time.Duration { return s.ping + 10*time.Second }

// takenHead is the status line and header of a stream served on a
// connection taken from the HTTP server: what the middleware set, the
// stream's header, and Connection: close, as the body ends with the
// connection.
func takenHead(h http.Header) []byte {
	setStreamHeader(h)
	h.Set("Connection", "close")
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 200 OK\r\n")
	h.Write(&b)
	b.WriteString("\r\n")
	return b.Bytes()
}

// detached serves a stream on a connection taken from the HTTP server,
// after head, then closes it and calls done. One goroutine waits on the
// stream; another reads the connection to learn that the client left.
func (s *Server) detached(conn net.Conn, head []byte, st *authority.EventStream, done func()) {
	defer done()
	defer conn.Close()
	out := connSink{conn: conn, timeout: s.writeTimeout()}
	conn.SetReadDeadline(time.Time{})
	if out.send(head, streamOpening) != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer context.AfterFunc(s.streams, cancel)()
	go func() {
		defer cancel()
		var b [64]byte
		for {
			if _, err := conn.Read(b[:]); err != nil {
				return
			}
		}
	}()
	s.stream(ctx, out, st)
}

// A sink is where a stream's frames go: the ResponseWriter, or the
// connection taken over from the HTTP server.
type sink interface {
	// send writes frames within the write timeout and pushes them to the
	// client.
	send(frames ...[]byte) error
}

type responseSink struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (o responseSink) send(frames ...[]byte) error {
	o.rc.SetWriteDeadline(time.Now().Add(o.timeout))
	for _, f := range frames {
		if _, err := o.w.Write(f); err != nil {
			return err
		}
	}
	return o.rc.Flush()
}

// connSink writes to the connection with no buffer of its own: the frames
// of one send go out in one writev.
type connSink struct {
	conn    net.Conn
	timeout time.Duration
}

func (o connSink) send(frames ...[]byte) error {
	o.conn.SetWriteDeadline(time.Now().Add(o.timeout))
	b := net.Buffers(frames)
	_, err := b.WriteTo(o.conn)
	return err
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

// stream writes Server-Sent Events after the opening until the client
// leaves, the server shuts down or the stream ends: each event with its
// Seq as id, a comment as heartbeat when nothing was written for a ping
// interval, and last, when the stream ended, an end event naming why. A
// write that cannot be made within the write timeout cuts the stream.
func (s *Server) stream(ctx context.Context, out sink, st *authority.EventStream) {
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
		var frames [][]byte
		if len(events) == 0 && end == "" {
			if !wrote {
				frames = append(frames, heartbeat)
			}
			wrote = false
			beat = s.pulse.next()
		}
		if len(events) > 0 {
			wrote = true
		}
		for _, e := range events {
			frames = append(frames, e.Wire(eventFrame))
		}
		if end != "" {
			data, _ := json.Marshal(streamEnd{Reason: end})
			out.send(append(frames, fmt.Appendf(nil, "event: end\ndata: %s\n\n", data))...)
			return
		}
		if len(frames) > 0 && out.send(frames...) != nil {
			return
		}
	}
}

var heartbeat = []byte(": ping\n\n")
