package server

import (
	"net/http"
	"slices"
	"testing"
)

// A holder of room.ask_join waits; a holder of moderate.admit admits it,
// and the waiting participant learns it from its own event stream, which
// showed nothing of the room until then.
func TestAskJoinWaitsThenAdmitted(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	knocker := s.askJoiner(t)
	kim := s.user(t, "kim", knocker)
	kimID := s.joined(t, kim, "stage", "waiting")
	st := s.openEvents(t, kim, "stage", 0)
	if ev := st.next(t); ev.Type != "session.waiting" || ev.Event.SessionID != kimID {
		t.Fatalf("first event for the waiting participant = %s about %s", ev.Type, ev.Event.SessionID)
	}
	gusID := s.joined(t, s.user(t, "gus", "guest"), "stage", "joined")

	wantProblem(t, s.produce(t, kim, "stage", kimID, "camera"), http.StatusForbidden, "not_admitted")
	wantProblem(t, s.act(t, s.user(t, "vic", "viewer"), "stage", kimID, "admit", nil), http.StatusForbidden, "missing_permission")
	r := s.act(t, s.user(t, "ada", "admin"), "stage", kimID, "admit", nil)
	wantOK(t, r, http.StatusOK)
	if r.body["state"] != "joined" {
		t.Fatalf("admitted = %s", r.raw)
	}
	if ev := st.next(t); ev.Type != "session.admitted" || ev.Event.SessionID != kimID {
		t.Fatalf("after waiting: %s about %s, want session.admitted (gus's join is not shown)", ev.Type, ev.Event.SessionID)
	}
	// Once admitted, the stream shows the room.
	wantOK(t, s.act(t, "", "stage", gusID, "leave", nil), http.StatusOK)
	st.waitFor(t, "session.ended", gusID)
	wantOK(t, s.produce(t, kim, "stage", kimID, "camera"), http.StatusOK)
	wantProblem(t, s.act(t, "", "stage", kimID, "admit", nil), http.StatusConflict, "not_waiting")
}

// A rejected participant sees the rejection, and its stream ends.
func TestAskJoinRejected(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	kim := s.user(t, "kim", s.askJoiner(t))
	kimID := s.joined(t, kim, "stage", "waiting")
	st := s.openEvents(t, kim, "stage", 0)
	st.waitFor(t, "session.waiting", kimID)
	r := s.act(t, s.user(t, "hana", "host"), "stage", kimID, "reject", nil)
	wantOK(t, r, http.StatusOK)
	if r.body["state"] != "ended" || r.body["end_reason"] != "rejected" {
		t.Fatalf("rejected = %s", r.raw)
	}
	if ev := st.next(t); ev.Type != "session.ended" || ev.Event.Data.Reason != "rejected" {
		t.Fatalf("the waiting participant saw %s (%q)", ev.Type, ev.Event.Data.Reason)
	}
	st.endsWith(t, "session_ended", endWithin)
	wantProblem(t, s.act(t, "", "stage", kimID, "reject", nil), http.StatusConflict, "session_ended")
}

// Rejecting someone already in the room is not a rejection.
func TestRejectJoinedSession(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	gusID := s.joined(t, s.user(t, "gus", "guest"), "stage", "joined")
	wantProblem(t, s.act(t, "", "stage", gusID, "reject", nil), http.StatusConflict, "not_waiting")
}

// room.join wins over room.ask_join (DESIGN: a holder of room.join never waits).
func TestJoinNeverWaitsWithRoomJoin(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	tok := s.mint(t, &s.prod, map[string]any{"user_id": "g", "role": "guest", "permissions": []string{"room.ask_join"}})
	s.joined(t, tok, "stage", "joined")
}

// Raise hand: a session asks for a permission; a moderator grants it
// within what it holds, or denies it.
func TestRaiseHandGranted(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	vic := s.user(t, "vic", "viewer")
	vicID := s.joined(t, vic, "stage", "joined")
	st := s.openEvents(t, "", "stage", 0)
	r := s.act(t, vic, "stage", vicID, "requests", map[string]any{"permission": "produce.microphone"})
	wantOK(t, r, http.StatusCreated)
	reqID := r.body["id"].(string)
	if r.body["state"] != "pending" || r.body["permission"] != "produce.microphone" || r.body["session_id"] != vicID {
		t.Fatalf("request = %s", r.raw)
	}
	st.waitFor(t, "request.created", vicID)

	path := vicID + "/requests/" + reqID + "/grant"
	wantProblem(t, s.act(t, s.user(t, "gus", "guest"), "stage", path, "", nil), http.StatusForbidden, "missing_permission")
	g := s.act(t, s.user(t, "hana", "host"), "stage", path, "", nil)
	wantOK(t, g, http.StatusOK)
	req, ses := g.body["request"].(map[string]any), g.body["session"].(map[string]any)
	if req["state"] != "granted" || !slices.Contains(list(ses["permissions"]), "produce.microphone") {
		t.Fatalf("granted = %s", g.raw)
	}
	st.waitFor(t, "request.resolved", vicID)
	wantOK(t, s.produce(t, vic, "stage", vicID, "microphone"), http.StatusOK)
	wantProblem(t, s.act(t, "", "stage", path, "", nil), http.StatusConflict, "request_resolved")
	wantProblem(t, s.act(t, vic, "stage", vicID, "requests", map[string]any{"permission": "produce.microphone"}), http.StatusConflict, "already_held")
}

func TestRaiseHandDenied(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	vic := s.user(t, "vic", "viewer")
	vicID := s.joined(t, vic, "stage", "joined")
	r := s.act(t, vic, "stage", vicID, "requests", map[string]any{"permission": "produce.camera"})
	wantOK(t, r, http.StatusCreated)
	d := s.act(t, s.user(t, "hana", "host"), "stage", vicID+"/requests/"+r.body["id"].(string)+"/deny", "", nil)
	wantOK(t, d, http.StatusOK)
	if d.body["request"].(map[string]any)["state"] != "denied" {
		t.Fatalf("denied = %s", d.raw)
	}
	wantProblem(t, s.produce(t, vic, "stage", vicID, "camera"), http.StatusForbidden, "missing_permission")
}

// A moderator cannot grant a raised hand a permission it lacks.
func TestRaiseHandGrantWithinModeratorRights(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	s.role(t, "steward", 50, "room.join", "consume", "produce.microphone", "moderate.permissions")
	vic := s.user(t, "vic", "viewer")
	vicID := s.joined(t, vic, "stage", "joined")
	r := s.act(t, vic, "stage", vicID, "requests", map[string]any{"permission": "produce.screen"})
	wantOK(t, r, http.StatusCreated)
	path := vicID + "/requests/" + r.body["id"].(string) + "/grant"
	wantProblem(t, s.act(t, s.user(t, "stu", "steward"), "stage", path, "", nil), http.StatusForbidden, "escalation")
	// The request stays pending for a moderator who can grant it.
	wantOK(t, s.act(t, s.user(t, "hana", "host"), "stage", path, "", nil), http.StatusOK)
}

func TestRaiseHandBadRequests(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	vic := s.user(t, "vic", "viewer")
	vicID := s.joined(t, vic, "stage", "joined")
	wantProblem(t, s.act(t, vic, "stage", vicID, "requests", map[string]any{"permission": "fly"}), http.StatusBadRequest, "invalid_request")
	wantProblem(t, s.act(t, vic, "stage", vicID, "requests", map[string]any{}), http.StatusBadRequest, "invalid_request")
	wantProblem(t, s.act(t, "", "stage", vicID+"/requests/forged/grant", "", nil), http.StatusNotFound, "not_found")
	kim := s.user(t, "kim", s.askJoiner(t))
	kimID := s.joined(t, kim, "stage", "waiting")
	wantProblem(t, s.act(t, kim, "stage", kimID, "requests", map[string]any{"permission": "produce.screen"}), http.StatusForbidden, "not_admitted")
}
