package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
)

// user mints a token for user with role, bound to rooms if any.
func (s *testServer) user(t testing.TB, user, role string, rooms ...string) string {
	t.Helper()
	body := map[string]any{"user_id": user, "role": role}
	if len(rooms) > 0 {
		body["rooms"] = rooms
	}
	return s.mint(t, &s.prod, body)
}

// newRoom creates a room with the production key, failing the test
// otherwise.
func (s *testServer) newRoom(t testing.TB, body map[string]any) reply {
	t.Helper()
	r := s.do(t, call{method: "POST", path: "/v1/rooms", basic: &s.prod, body: body})
	if r.status != http.StatusCreated {
		t.Fatalf("create room %v: %d %s", body, r.status, r.raw)
	}
	return r
}

// join posts a join with tok.
func (s *testServer) join(t testing.TB, tok, room string) reply {
	t.Helper()
	return s.do(t, call{method: "POST", path: "/v1/rooms/" + room + "/join", bearer: tok, body: map[string]any{}})
}

// joined joins and returns the session id, failing unless the state is want.
func (s *testServer) joined(t testing.TB, tok, room, want string) string {
	t.Helper()
	r := s.join(t, tok, room)
	if r.status != http.StatusCreated || r.body["state"] != want {
		t.Fatalf("join %s: %d %s, want 201 %s", room, r.status, r.raw, want)
	}
	return r.body["session_id"].(string)
}

// act posts action on a session as the holder of tok (or with the
// production key when tok is empty); an empty action posts to id, which
// then names the path below the session.
func (s *testServer) act(t testing.TB, tok, room, id, action string, body any) reply {
	t.Helper()
	path := "/v1/rooms/" + room + "/sessions/" + id
	if action != "" {
		path += "/" + action
	}
	c := call{method: "POST", path: path, bearer: tok, body: body}
	if tok == "" {
		c.basic = &s.prod
	}
	if c.body == nil {
		c.body = map[string]any{}
	}
	return s.do(t, c)
}

// produce asks session id to produce source as the holder of tok.
func (s *testServer) produce(t testing.TB, tok, room, id, source string) reply {
	t.Helper()
	return s.act(t, tok, room, id, "produce", map[string]any{"source": source})
}

// patch sends a moderator's change to a session.
func (s *testServer) patch(t testing.TB, tok, room, id string, body map[string]any) reply {
	t.Helper()
	return s.do(t, call{method: "PATCH", path: "/v1/rooms/" + room + "/sessions/" + id, bearer: tok, body: body})
}

// roomView reads a room with the production key.
func (s *testServer) roomView(t testing.TB, room string) reply {
	t.Helper()
	r := s.do(t, call{method: "GET", path: "/v1/rooms/" + room, basic: &s.prod})
	if r.status != http.StatusOK {
		t.Fatalf("get room %s: %d %s", room, r.status, r.raw)
	}
	return r
}

// role defines a custom role of the test app.
func (s *testServer) role(t testing.TB, name string, rank int, perms ...string) {
	t.Helper()
	if _, err := s.auth.SetRole(context.Background(), authority.AsOperator("test"), s.app, name, perms, rank); err != nil {
		t.Fatal(err)
	}
}

// wantOK checks a 2xx answer.
func wantOK(t testing.TB, r reply, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("got %d %s, want %d", r.status, r.raw, status)
	}
}

// list reads a JSON array of strings from an answer.
func list(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// sseEvent is one Server-Sent Event, or a heartbeat comment (Ping).
type sseEvent struct {
	ID    int64
	Type  string
	Ping  bool
	Event struct {
		Seq       int64  `json:"seq"`
		Type      string `json:"type"`
		SessionID string `json:"session_id"`
		Data      struct {
			Reason  string         `json:"reason"`
			Source  string         `json:"source"`
			Session map[string]any `json:"session"`
		} `json:"data"`
	}
	// End is the data of the end event.
	End struct {
		Reason string `json:"reason"`
	}
}

// sseStream reads a room's event stream over a real HTTP connection.
type sseStream struct {
	resp   *http.Response
	events chan sseEvent
	cancel context.CancelFunc
}

// openEvents opens room's event stream as the holder of tok (the
// production key when tok is empty), resuming after lastID when not 0.
func (s *testServer) openEvents(t testing.TB, tok, room string, lastID int64) *sseStream {
	t.Helper()
	st, status := s.tryEvents(t, tok, room, lastID)
	if status != http.StatusOK {
		t.Fatalf("events %s: status %d", room, status)
	}
	return st
}

func (s *testServer) tryEvents(t testing.TB, tok, room string, lastID int64) (*sseStream, int) {
	t.Helper()
	c := call{method: "GET", path: "/v1/rooms/" + room + "/events", bearer: tok}
	if tok == "" {
		c.basic = &s.prod
	}
	return s.tryStream(t, c, lastID)
}

// tryStream opens the event stream c asks for, returning it if the answer
// is 200, and the status.
func (s *testServer) tryStream(t testing.TB, c call, lastID int64) (*sseStream, int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req := s.request(t, c).WithContext(ctx)
	if lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	hc := s.Client()
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		return nil, resp.StatusCode
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	st := &sseStream{resp: resp, events: make(chan sseEvent, 256), cancel: cancel}
	t.Cleanup(st.close)
	go st.read()
	return st, http.StatusOK
}

func (st *sseStream) close() {
	st.cancel()
	st.resp.Body.Close()
}

func (st *sseStream) read() {
	defer close(st.events)
	sc := bufio.NewScanner(st.resp.Body)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == ": ping":
			st.events <- sseEvent{Ping: true}
		case strings.HasPrefix(line, "id: "):
			ev.ID, _ = strconv.ParseInt(line[4:], 10, 64)
		case strings.HasPrefix(line, "event: "):
			ev.Type = line[7:]
		case strings.HasPrefix(line, "data: ") && ev.Type == "end":
			json.Unmarshal([]byte(line[6:]), &ev.End)
		case strings.HasPrefix(line, "data: "):
			json.Unmarshal([]byte(line[6:]), &ev.Event)
		case line == "" && ev.Type != "":
			st.events <- ev
			ev = sseEvent{}
		}
	}
}

// next returns the next event that is not a heartbeat.
func (st *sseStream) next(t testing.TB) sseEvent {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-st.events:
			if !ok {
				t.Fatal("the event stream ended")
			}
			if !ev.Ping {
				return ev
			}
		case <-timeout:
			t.Fatal("no event within 5s")
		}
	}
}

// waitFor skips events until one of type typ about session id (any
// session when id is empty) and returns it.
func (st *sseStream) waitFor(t testing.TB, typ, id string) sseEvent {
	t.Helper()
	for {
		ev := st.next(t)
		if ev.Type == typ && (id == "" || ev.Event.SessionID == id) {
			return ev
		}
	}
}

// endsWith waits, at most within, for the end event, failing on any
// other event but heartbeats, and checks its reason; then for the stream
// to close.
func (st *sseStream) endsWith(t testing.TB, reason string, within time.Duration) {
	t.Helper()
	timeout := time.After(within)
	for {
		select {
		case ev, ok := <-st.events:
			switch {
			case !ok:
				t.Fatal("the stream closed without an end event")
			case ev.Type == "end" && ev.End.Reason != reason:
				t.Fatalf("the stream ended for %q, want %q", ev.End.Reason, reason)
			case ev.Type == "end":
				st.ended(t)
				return
			case !ev.Ping:
				t.Fatalf("unexpected event %s before the end", ev.Type)
			}
		case <-timeout:
			t.Fatalf("no end event within %v", within)
		}
	}
}

// ended waits for the stream to end, failing on any event but heartbeats.
func (st *sseStream) ended(t testing.TB) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-st.events:
			if !ok {
				return
			}
			if !ev.Ping {
				t.Fatalf("unexpected event %s before the end", ev.Type)
			}
		case <-timeout:
			t.Fatal("the stream did not end")
		}
	}
}

// askJoiner defines a role that waits to be admitted.
func (s *testServer) askJoiner(t testing.TB) string {
	t.Helper()
	s.role(t, "knocker", 20, access.RoomAskJoin.String(), access.Consume.String(), access.ProduceCamera.String())
	return "knocker"
}
