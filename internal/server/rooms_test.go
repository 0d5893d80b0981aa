package server

import (
	"net/http"
	"testing"
	"time"
)

func TestCreateRoomWithAPIKey(t *testing.T) {
	s := newTestServer(t)
	r := s.newRoom(t, map[string]any{"name": "stage", "type": "conference", "max_participants": 50, "metadata": map[string]any{"topic": "launch"}})
	if r.body["name"] != "stage" || r.body["type"] != "conference" || r.body["max_producers"] != 10.0 || r.body["max_participants"] != 50.0 {
		t.Fatalf("room = %s", r.raw)
	}
	if r.body["created_by"] != "api_key:"+s.prod.APIKey || r.body["metadata"].(map[string]any)["topic"] != "launch" || r.body["ended_at"] != nil {
		t.Fatalf("room = %s", r.raw)
	}
	plain := s.newRoom(t, map[string]any{"name": "plain"})
	if plain.body["type"] != "custom" || plain.body["max_producers"] != 0.0 {
		t.Fatalf("room without settings = %s", plain.raw)
	}
	got := s.roomView(t, "stage")
	if got.body["type"] != "conference" || len(got.body["participants"].([]any)) != 0 || len(got.body["waiting"].([]any)) != 0 {
		t.Fatalf("get = %s", got.raw)
	}
}

func TestCreateRoomTwice(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	r := s.do(t, call{method: "POST", path: "/v1/rooms", basic: &s.prod, body: map[string]any{"name": "stage"}})
	wantProblem(t, r, http.StatusConflict, "room_exists")
}

func TestCreateRoomBadInput(t *testing.T) {
	s := newTestServer(t)
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{}, "name"},
		{map[string]any{"name": "a/b"}, "name"},
		{map[string]any{"name": "x", "type": "arena"}, "type"},
		{map[string]any{"name": "x", "max_producers": -1}, "max_producers"},
		{map[string]any{"name": "x", "colour": "red"}, "colour"},
	} {
		r := s.do(t, call{method: "POST", path: "/v1/rooms", basic: &s.prod, body: tc.body})
		wantProblem(t, r, http.StatusBadRequest, "invalid_request")
		if r.body["field"] != tc.field {
			t.Errorf("%v: field %v, want %s", tc.body, r.body["field"], tc.field)
		}
	}
}

func TestCreateRoomWithoutCredentials(t *testing.T) {
	s := newTestServer(t)
	r := s.do(t, call{method: "POST", path: "/v1/rooms", body: map[string]any{"name": "x"}})
	wantProblem(t, r, http.StatusUnauthorized, "invalid_token")
}

// The creator's role sets a room's defaults (NativeFrame's private and
// conference rooms); what the creator asks for wins.
func TestCreateRoomDefaultsFromCreatorRole(t *testing.T) {
	s := newTestServer(t)
	for _, tc := range []struct {
		role, room, typ string
		asked           map[string]any
		producers       float64
	}{
		{"private-broadcaster", "p1", "private", nil, 1},
		{"conference-owner", "c1", "conference", nil, 10},
		{"broadcaster", "l1", "livestream", nil, 0},
		{"host", "h1", "custom", nil, 0},
		{"conference-owner", "c2", "conference", map[string]any{"max_producers": 4}, 4},
		{"private-broadcaster", "p2", "conference", map[string]any{"type": "conference"}, 10},
	} {
		body := map[string]any{"name": tc.room}
		for k, v := range tc.asked {
			body[k] = v
		}
		r := s.do(t, call{method: "POST", path: "/v1/rooms", bearer: s.user(t, "creator", tc.role), body: body})
		wantOK(t, r, http.StatusCreated)
		if r.body["type"] != tc.typ || r.body["max_producers"] != tc.producers || r.body["created_by"] != "user:creator" {
			t.Errorf("%s: %s, want %s with %v producers", tc.role, r.raw, tc.typ, tc.producers)
		}
	}
}

func TestCreateRoomNeedsRoomCreate(t *testing.T) {
	s := newTestServer(t)
	r := s.do(t, call{method: "POST", path: "/v1/rooms", bearer: s.user(t, "v", "viewer"), body: map[string]any{"name": "x"}})
	wantProblem(t, r, http.StatusForbidden, "missing_permission")
	if r.body["missing_permission"] != "room.create" {
		t.Fatalf("missing %v", r.body["missing_permission"])
	}
}

func TestCreateRoomOutsideTokenRooms(t *testing.T) {
	s := newTestServer(t)
	tok := s.user(t, "b", "broadcaster", "mine")
	r := s.do(t, call{method: "POST", path: "/v1/rooms", bearer: tok, body: map[string]any{"name": "theirs"}})
	wantProblem(t, r, http.StatusForbidden, "room_mismatch")
	r = s.do(t, call{method: "POST", path: "/v1/rooms", bearer: tok, body: map[string]any{"name": "mine"}})
	wantOK(t, r, http.StatusCreated)
}

func TestGetRoomShowsParticipantsWaitingAndProducers(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	knocker := s.askJoiner(t)
	hana := s.user(t, "hana", "host")
	hanaID := s.joined(t, hana, "stage", "joined")
	gus := s.user(t, "gus", "guest")
	s.joined(t, gus, "stage", "joined")
	kim := s.user(t, "kim", knocker)
	kimID := s.joined(t, kim, "stage", "waiting")
	wantOK(t, s.produce(t, hana, "stage", hanaID, "camera"), http.StatusOK)

	for _, who := range []call{{basic: &s.prod}, {bearer: gus}, {bearer: s.user(t, "mod", "admin")}} {
		who.method, who.path = "GET", "/v1/rooms/stage"
		r := s.do(t, who)
		wantOK(t, r, http.StatusOK)
		parts, waiting, producers := r.body["participants"].([]any), r.body["waiting"].([]any), r.body["producers"].([]any)
		if len(parts) != 2 || len(waiting) != 1 || len(producers) != 1 {
			t.Fatalf("room = %s", r.raw)
		}
		if waiting[0].(map[string]any)["session_id"] != kimID {
			t.Fatalf("waiting = %v", waiting)
		}
		p := producers[0].(map[string]any)
		if p["session_id"] != hanaID || p["participant"] != "hana" || list(p["sources"])[0] != "camera" {
			t.Fatalf("producers = %v", producers)
		}
	}
	// Neither an outsider nor a participant still waiting sees the room.
	r := s.do(t, call{method: "GET", path: "/v1/rooms/stage", bearer: s.user(t, "out", "viewer")})
	wantProblem(t, r, http.StatusForbidden, "not_admitted")
	r = s.do(t, call{method: "GET", path: "/v1/rooms/stage", bearer: kim})
	wantProblem(t, r, http.StatusForbidden, "not_admitted")
}

func TestGetUnknownRoom(t *testing.T) {
	s := newTestServer(t)
	r := s.do(t, call{method: "GET", path: "/v1/rooms/nowhere", basic: &s.prod})
	wantProblem(t, r, http.StatusNotFound, "not_found")
}

// Ending a room ends every session in it and revokes the tokens issued so
// far in it; a new token can join only a room created again.
func TestEndRoom(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage", "type": "private"})
	alice := s.user(t, "alice", "host")
	id := s.joined(t, alice, "stage", "joined")
	wantOK(t, s.produce(t, alice, "stage", id, "camera"), http.StatusOK)

	r := s.do(t, call{method: "DELETE", path: "/v1/rooms/stage", basic: &s.prod})
	wantOK(t, r, http.StatusNoContent)
	view := s.roomView(t, "stage")
	if view.body["ended_at"] == nil || len(view.body["participants"].([]any)) != 0 {
		t.Fatalf("ended room = %s", view.raw)
	}
	wantRevoked(t, s, alice, "stage")
	s.wantAllowed(t, alice, "elsewhere", "consume")

	s.clock.Advance(2 * time.Second)
	later := s.user(t, "alice", "host")
	wantProblem(t, s.join(t, later, "stage"), http.StatusConflict, "room_ended")
	wantProblem(t, s.do(t, call{method: "DELETE", path: "/v1/rooms/stage", basic: &s.prod}), http.StatusConflict, "room_ended")
	s.newRoom(t, map[string]any{"name": "stage"})
	s.joined(t, later, "stage", "joined")
}

func TestEndRoomByCreatorOrModerator(t *testing.T) {
	s := newTestServer(t)
	owner := s.user(t, "olga", "broadcaster")
	for _, name := range []string{"a", "b"} {
		wantOK(t, s.do(t, call{method: "POST", path: "/v1/rooms", bearer: owner, body: map[string]any{"name": name}}), http.StatusCreated)
	}
	r := s.do(t, call{method: "DELETE", path: "/v1/rooms/a", bearer: s.user(t, "vic", "viewer")})
	wantProblem(t, r, http.StatusForbidden, "missing_permission")
	wantOK(t, s.do(t, call{method: "DELETE", path: "/v1/rooms/a", bearer: owner}), http.StatusNoContent)
	wantOK(t, s.do(t, call{method: "DELETE", path: "/v1/rooms/b", bearer: s.user(t, "ada", "admin")}), http.StatusNoContent)
	wantProblem(t, s.do(t, call{method: "DELETE", path: "/v1/rooms/none", basic: &s.prod}), http.StatusNotFound, "not_found")
}
