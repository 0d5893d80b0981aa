package server

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
)

// endWithin is how soon a stream must end once its credential or session
// no longer holds.
const endWithin = time.Second

// keyEvents opens room's event stream with API key k.
func (s *testServer) keyEvents(t *testing.T, k authority.NewKey, room string) (*sseStream, int) {
	t.Helper()
	return s.tryStream(t, call{method: "GET", path: "/v1/rooms/" + room + "/events", basic: &k}, 0)
}

// A moderator's stream ends, naming why, within a second of its token's
// revocation, and shows nothing after.
func TestStreamEndsWhenTokenRevoked(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	host := s.user(t, "hana", "host")
	st := s.openEvents(t, host, "stage", 0)
	st.waitFor(t, "room.created", "")
	_, c := claimsOf(t, host)
	wantOK(t, s.do(t, call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"token_id": c.ID}}), http.StatusCreated)
	st.endsWith(t, "token_revoked", endWithin)
	s.joined(t, s.user(t, "gus", "guest"), "stage", "joined")

	// A revocation of the user, of the room, or of the API key that issued
	// the token ends it too.
	for _, tc := range []struct {
		name   string
		key    authority.NewKey
		revoke func(t *testing.T, key authority.NewKey, user string)
	}{
		{"user", s.prod, func(t *testing.T, _ authority.NewKey, user string) {
			wantOK(t, s.do(t, call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"user_id": user}}), http.StatusCreated)
		}},
		{"room", s.prod, func(t *testing.T, _ authority.NewKey, _ string) {
			wantOK(t, s.do(t, call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"room": "room"}}), http.StatusCreated)
		}},
		{"issuer", s.newAPIKey(t, access.Production), func(t *testing.T, key authority.NewKey, _ string) {
			if err := s.auth.RevokeAPIKey(context.Background(), authority.AsOperator("test"), key.APIKey); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.newRoom(t, map[string]any{"name": tc.name})
			user := "ada-" + tc.name
			st := s.openEvents(t, s.mint(t, &tc.key, map[string]any{"user_id": user, "role": "admin"}), tc.name, 0)
			st.waitFor(t, "room.created", "")
			tc.revoke(t, tc.key, user)
			st.endsWith(t, "token_revoked", endWithin)
		})
	}
}

// A long poll waiting when its token is revoked answers at once with the
// reason.
func TestLongPollEndsWhenTokenRevoked(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	host := s.user(t, "hana", "host")
	accept := map[string]string{"Accept": "application/json"}
	r := s.do(t, call{method: "GET", path: "/v1/rooms/stage/events", bearer: host, header: accept})
	wantOK(t, r, http.StatusOK)
	if r.body["end"] != nil {
		t.Fatalf("a live token's poll ended: %s", r.raw)
	}
	// The answered poll frees its slot once its handler returned, which
	// may be after the answer arrived.
	s.waitStreams(t, 0)
	done := make(chan reply, 1)
	go func() {
		done <- s.do(t, call{method: "GET", path: "/v1/rooms/stage/events?wait=30s&after=" + strconv.Itoa(int(r.body["cursor"].(float64))), bearer: host, header: accept})
	}()
	s.waitStreams(t, 1)
	_, c := claimsOf(t, host)
	wantOK(t, s.do(t, call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"token_id": c.ID}}), http.StatusCreated)
	select {
	case r = <-done:
	case <-time.After(endWithin):
		t.Fatalf("the long poll went on for %v after the revocation", endWithin)
	}
	wantOK(t, r, http.StatusOK)
	if end, _ := r.body["end"].(map[string]any); end["reason"] != "token_revoked" || len(r.body["events"].([]any)) != 0 {
		t.Fatalf("poll = %s", r.raw)
	}
}

// An API key's stream ends when the key is revoked.
func TestStreamEndsWhenKeyRevoked(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	k := s.newAPIKey(t, access.Production)
	st, status := s.keyEvents(t, k, "stage")
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	st.waitFor(t, "room.created", "")
	if err := s.auth.RevokeAPIKey(context.Background(), authority.AsOperator("test"), k.APIKey); err != nil {
		t.Fatal(err)
	}
	st.endsWith(t, "key_revoked", endWithin)
}

// A token's stream ends when the token expires, on the server's clock.
func TestStreamEndsWhenTokenExpires(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	host := s.mint(t, &s.prod, map[string]any{"user_id": "hana", "role": "host", "ttl_seconds": 300})
	st := s.openEvents(t, host, "stage", 0)
	st.waitFor(t, "room.created", "")
	s.clock.Advance(299 * time.Second)
	s.joined(t, s.user(t, "gus", "guest"), "stage", "joined")
	st.waitFor(t, "session.joined", "")
	s.clock.Advance(time.Second)
	st.endsWith(t, "token_expired", endWithin)
}

// A participant's stream ends with its session, whoever ends it, and any
// stream with the room.
func TestStreamEndsWithSessionOrRoom(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	gus := s.user(t, "gus", "guest")
	gusID := s.joined(t, gus, "stage", "joined")
	st := s.openEvents(t, gus, "stage", 0)
	st.waitFor(t, "session.joined", gusID)
	wantOK(t, s.do(t, call{method: "DELETE", path: "/v1/rooms/stage/sessions/" + gusID, bearer: s.user(t, "ada", "admin")}), http.StatusOK)
	if ev := st.waitFor(t, "session.ended", gusID); ev.Event.Data.Reason != "kicked" {
		t.Fatalf("ended for %q", ev.Event.Data.Reason)
	}
	st.endsWith(t, "session_ended", endWithin)

	keyStream := s.openEvents(t, "", "stage", 0)
	keyStream.waitFor(t, "session.ended", gusID)
	after := s.lastEvent(t)
	s.waitStreams(t, 1)
	poll := make(chan reply, 1)
	go func() {
		poll <- s.do(t, call{method: "GET", path: "/v1/rooms/stage/events?wait=30s&after=" + strconv.FormatInt(after, 10), basic: &s.prod, header: map[string]string{"Accept": "application/json"}})
	}()
	s.waitStreams(t, 2)
	wantOK(t, s.do(t, call{method: "DELETE", path: "/v1/rooms/stage", basic: &s.prod}), http.StatusNoContent)
	keyStream.waitFor(t, "room.ended", "")
	keyStream.endsWith(t, "room_ended", endWithin)
	r := <-poll
	if end, _ := r.body["end"].(map[string]any); end["reason"] != "room_ended" {
		t.Fatalf("poll = %s", r.raw)
	}
}

// lastEvent is the cursor after the room's events so far.
func (s *testServer) lastEvent(t *testing.T) int64 {
	t.Helper()
	r := s.do(t, call{method: "GET", path: "/v1/rooms/stage/events", basic: &s.prod, header: map[string]string{"Accept": "application/json"}})
	wantOK(t, r, http.StatusOK)
	return int64(r.body["cursor"].(float64))
}

// A stream left further behind than its room's ring, as by the end of a
// room with more sessions than the ring holds, ends with too_slow; the
// client resumes after the last event it got and reads the rest.
func TestStreamTooSlowResumes(t *testing.T) {
	s := newTestServer(t, func(c *authority.Config) { c.EventRing = 4 })
	s.newRoom(t, map[string]any{"name": "stage"})
	for i := range 5 {
		s.joined(t, s.user(t, "g"+strconv.Itoa(i), "guest"), "stage", "joined")
	}
	st := s.openEvents(t, "", "stage", s.lastEvent(t))
	last := s.joined(t, s.user(t, "g5", "guest"), "stage", "joined")
	seen := st.waitFor(t, "session.joined", last)
	wantOK(t, s.do(t, call{method: "DELETE", path: "/v1/rooms/stage", basic: &s.prod}), http.StatusNoContent)
	st.endsWith(t, "too_slow", endWithin)
	resumed := s.openEvents(t, "", "stage", seen.ID)
	for i := range 6 {
		if ev := resumed.next(t); ev.Type != "session.ended" || ev.Event.Data.Reason != "room_ended" {
			t.Fatalf("event %d after resuming: %+v", i, ev)
		}
	}
	resumed.waitFor(t, "room.ended", "")
	resumed.endsWith(t, "room_ended", endWithin)
}
