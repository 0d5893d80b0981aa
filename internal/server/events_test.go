package server

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// The stream carries each event with its Seq as id and its type as event;
// a client resuming with Last-Event-ID gets only what came after.
func TestEventsStreamAndResume(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	events := s.openEvents(t, "", "stage", 0)
	created := events.next(t)
	if created.Type != "room.created" || created.ID < 1 || created.Event.Seq != created.ID || created.Event.Type != created.Type {
		t.Fatalf("first event = %+v", created)
	}
	gus := s.user(t, "gus", "guest")
	gusID := s.joined(t, gus, "stage", "joined")
	joined := events.next(t)
	if joined.Type != "session.joined" || joined.Event.SessionID != gusID || joined.ID <= created.ID {
		t.Fatalf("join event = %+v", joined)
	}
	if joined.Event.Data.Session["participant"] == nil && joined.Event.Data.Session["Participant"] == nil {
		t.Fatalf("join event carries no session: %+v", joined.Event.Data)
	}
	wantOK(t, s.produce(t, gus, "stage", gusID, "camera"), http.StatusOK)
	started := events.next(t)
	if started.Type != "produce.started" || started.Event.SessionID != gusID {
		t.Fatalf("produce event = %+v", started)
	}
	events.close()

	resumed := s.openEvents(t, "", "stage", joined.ID)
	if ev := resumed.next(t); ev.ID != started.ID {
		t.Fatalf("resumed at %d (%s), want %d", ev.ID, ev.Type, started.ID)
	}
	// ?after= works as Last-Event-ID does.
	r := s.do(t, call{method: "GET", path: "/v1/rooms/stage/events?after=" + strconv.FormatInt(created.ID, 10), basic: &s.prod, header: map[string]string{"Accept": "application/json"}})
	wantOK(t, r, http.StatusOK)
	if evs := r.body["events"].([]any); len(evs) != 2 || r.body["cursor"] != float64(started.ID) {
		t.Fatalf("after %d: %s", created.ID, r.raw)
	}
}

// A participant's token opens the stream of its room; an outsider's does
// not, nor one bound to other rooms.
func TestEventsAccess(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	gus := s.user(t, "gus", "guest")
	s.joined(t, gus, "stage", "joined")
	st := s.openEvents(t, gus, "stage", 0)
	st.waitFor(t, "session.joined", "")
	if _, status := s.tryEvents(t, s.user(t, "out", "viewer"), "stage", 0); status != http.StatusForbidden {
		t.Fatalf("outsider: %d", status)
	}
	if _, status := s.tryEvents(t, s.user(t, "gus", "guest", "lobby"), "stage", 0); status != http.StatusForbidden {
		t.Fatalf("token of another room: %d", status)
	}
	if _, status := s.tryEvents(t, "", "nowhere", 0); status != http.StatusNotFound {
		t.Fatalf("unknown room: %d", status)
	}
	r := s.do(t, call{method: "GET", path: "/v1/rooms/stage/events?after=-3", basic: &s.prod})
	wantProblem(t, r, http.StatusBadRequest, "invalid_request")
}

// A participant's stream ends with its session.
func TestEventsStreamEndsWithSession(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	gus := s.user(t, "gus", "guest")
	gusID := s.joined(t, gus, "stage", "joined")
	st := s.openEvents(t, gus, "stage", 0)
	st.waitFor(t, "session.joined", gusID)
	wantOK(t, s.act(t, gus, "stage", gusID, "leave", nil), http.StatusOK)
	if ev := st.waitFor(t, "session.ended", gusID); ev.Event.Data.Reason != "left" {
		t.Fatalf("ended for %q", ev.Event.Data.Reason)
	}
	st.endsWith(t, "session_ended", 5*time.Second)
}

// The long poll answers at once when events are there, and after the wait
// asked for when none come.
func TestEventsLongPoll(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	accept := map[string]string{"Accept": "application/json"}
	r := s.do(t, call{method: "GET", path: "/v1/rooms/stage/events?wait=5s", basic: &s.prod, header: accept})
	wantOK(t, r, http.StatusOK)
	evs := r.body["events"].([]any)
	if len(evs) != 1 || evs[0].(map[string]any)["type"] != "room.created" {
		t.Fatalf("poll = %s", r.raw)
	}
	cursor := int64(r.body["cursor"].(float64))
	start := time.Now()
	r = s.do(t, call{method: "GET", path: "/v1/rooms/stage/events?wait=300ms&after=" + strconv.FormatInt(cursor, 10), basic: &s.prod, header: accept})
	if waited := time.Since(start); r.status != http.StatusOK || len(r.body["events"].([]any)) != 0 || waited < 250*time.Millisecond {
		t.Fatalf("empty poll after %v: %d %s", waited, r.status, r.raw)
	}
	if r.body["cursor"] != float64(cursor) {
		t.Fatalf("cursor moved: %s", r.raw)
	}
	// The answered polls free their slots once their handlers returned,
	// which may be after the answers arrived.
	s.waitStreams(t, 0)
	done := make(chan reply)
	go func() {
		done <- s.do(t, call{method: "GET", path: "/v1/rooms/stage/events?wait=10s&after=" + strconv.FormatInt(cursor, 10), basic: &s.prod, header: accept})
	}()
	s.waitStreams(t, 1)
	s.joined(t, s.user(t, "gus", "guest"), "stage", "joined")
	select {
	case r = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the long poll did not wake on a join")
	}
	if evs := r.body["events"].([]any); len(evs) != 1 || evs[0].(map[string]any)["type"] != "session.joined" {
		t.Fatalf("woken poll = %s", r.raw)
	}
	wantProblem(t, s.do(t, call{method: "GET", path: "/v1/rooms/stage/events?wait=2h", basic: &s.prod, header: accept}), http.StatusBadRequest, "invalid_request")
}

// Streams outlive the server's read and write timeouts, with heartbeats
// while nothing happens.
func TestEventsStreamOutlivesServerTimeouts(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:     New(Config{Auth: s.auth, Now: s.clock.Now, EventPing: 100 * time.Millisecond}),
		ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond,
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	short := *s
	short.Server = &httptest.Server{URL: "http://" + ln.Addr().String()}
	st := short.openEvents(t, "", "stage", 0)
	st.waitFor(t, "room.created", "")
	pings := 0
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		ev, ok := <-st.events
		if !ok {
			t.Fatal("the stream ended under the server's timeouts")
		}
		if ev.Ping {
			pings++
		}
	}
	if pings < 3 {
		t.Fatalf("%d heartbeats in a second, want about 10", pings)
	}
	s.joined(t, s.user(t, "gus", "guest"), "stage", "joined")
	st.waitFor(t, "session.joined", "")
}

func TestEventBodyShape(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	r := s.do(t, call{method: "GET", path: "/v1/rooms/stage/events", basic: &s.prod, header: map[string]string{"Accept": "application/json"}})
	var page struct {
		Events []map[string]json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(r.raw, &page); err != nil || len(page.Events) != 1 {
		t.Fatalf("%s: %v", r.raw, err)
	}
	for _, k := range []string{"seq", "type", "room", "time"} {
		if page.Events[0][k] == nil {
			t.Errorf("event lacks %q: %s", k, r.raw)
		}
	}
}

// An event shows its session in the shape every answer about a session
// has: the session in session.joined is the join's answer.
func TestEventSessionIsTheSessionShape(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	events := s.openEvents(t, "", "stage", 0)
	events.next(t)
	r := s.join(t, s.user(t, "gus", "guest"), "stage")
	wantOK(t, r, http.StatusCreated)
	joined := events.waitFor(t, "session.joined", r.body["session_id"].(string))
	want, err := json.Marshal(r.body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(joined.Event.Data.Session)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("event session\n%s\njoin answered\n%s", got, want)
	}
}
