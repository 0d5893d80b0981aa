package server

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// A moderator's mute stops the source at once and frees the slot; the
// event stream shows it.
func TestMuteStopsSource(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "solo", "type": "private"})
	gus := s.user(t, "gus", "guest")
	gusID := s.joined(t, gus, "solo", "joined")
	wantOK(t, s.produce(t, gus, "solo", gusID, "camera"), http.StatusOK)
	events := s.openEvents(t, "", "solo", 0)

	r := s.patch(t, s.user(t, "ada", "admin"), "solo", gusID, map[string]any{"mute": []string{"camera"}})
	wantOK(t, r, http.StatusOK)
	if len(list(r.body["sources"])) != 0 || !slices.Contains(list(r.body["permissions"]), "produce.camera") {
		t.Fatalf("muted = %s", r.raw)
	}
	if ev := events.waitFor(t, "produce.stopped", gusID); ev.Event.Data.Source != "camera" {
		t.Fatalf("stopped %q", ev.Event.Data.Source)
	}
	other := s.user(t, "oz", "guest")
	otherID := s.joined(t, other, "solo", "joined")
	wantOK(t, s.produce(t, other, "solo", otherID, "camera"), http.StatusOK)
}

func TestMuteNeedsModerateMute(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	gusID := s.joined(t, s.user(t, "gus", "guest"), "stage", "joined")
	r := s.patch(t, s.user(t, "vic", "viewer"), "stage", gusID, map[string]any{"mute": []string{"camera"}})
	wantProblem(t, r, http.StatusForbidden, "missing_permission")
	if r.body["missing_permission"] != "moderate.mute" {
		t.Fatalf("missing %v", r.body["missing_permission"])
	}
}

// A co-host can never make anyone host (Huddle01, API.stream), but can
// make a co-host.
func TestCoHostCannotMakeHost(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	co := s.user(t, "carla", "co-host")
	s.joined(t, co, "stage", "joined")
	gusID := s.joined(t, s.user(t, "gus", "guest"), "stage", "joined")
	wantProblem(t, s.patch(t, co, "stage", gusID, map[string]any{"role": "host"}), http.StatusForbidden, "escalation")
	r := s.patch(t, co, "stage", gusID, map[string]any{"role": "co-host"})
	wantOK(t, r, http.StatusOK)
	if r.body["role"] != "co-host" || !slices.Contains(list(r.body["permissions"]), "moderate.kick") {
		t.Fatalf("promoted = %s", r.raw)
	}
}

// A moderator acts on peers ranked no higher than itself.
func TestCoHostCannotMuteHost(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	host := s.user(t, "hana", "host")
	hostID := s.joined(t, host, "stage", "joined")
	wantOK(t, s.produce(t, host, "stage", hostID, "camera"), http.StatusOK)
	r := s.patch(t, s.user(t, "carla", "co-host"), "stage", hostID, map[string]any{"mute": []string{"camera"}})
	wantProblem(t, r, http.StatusForbidden, "escalation")
	wantProblem(t, s.do(t, call{method: "DELETE", path: "/v1/rooms/stage/sessions/" + hostID, bearer: s.user(t, "carla", "co-host")}), http.StatusForbidden, "escalation")
}

// A participant holding moderate.permissions cannot give a permission it
// lacks itself.
func TestCannotGrantLackedPermission(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	s.role(t, "steward", 50, "room.join", "consume", "produce.microphone", "moderate.permissions")
	steward := s.user(t, "stu", "steward")
	vicID := s.joined(t, s.user(t, "vic", "viewer"), "stage", "joined")
	r := s.patch(t, steward, "stage", vicID, map[string]any{"permissions": []string{"room.join", "consume", "produce.camera"}})
	wantProblem(t, r, http.StatusForbidden, "escalation")
	if r.body["detail"] == "" {
		t.Fatal("no detail")
	}
	r = s.patch(t, steward, "stage", vicID, map[string]any{"permissions": []string{"room.join", "consume", "produce.microphone"}})
	wantOK(t, r, http.StatusOK)
	if got := list(r.body["permissions"]); !slices.Equal(got, []string{"consume", "produce.microphone", "room.join"}) {
		t.Fatalf("permissions = %v", got)
	}
	// Nor a role holding one.
	wantProblem(t, s.patch(t, steward, "stage", vicID, map[string]any{"role": "guest"}), http.StatusForbidden, "escalation")
}

func TestUpdateSessionBadInput(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	host := s.user(t, "hana", "host")
	id := s.joined(t, s.user(t, "gus", "guest"), "stage", "joined")
	for _, body := range []map[string]any{{}, {"role": "emperor"}, {"permissions": []string{"fly"}}, {"mute": []string{"hologram"}}} {
		wantProblem(t, s.patch(t, host, "stage", id, body), http.StatusBadRequest, "invalid_request")
	}
}

// A demotion applies at once: the producer loses the sources it may no
// longer produce, and the session's next token lacks the permission.
func TestDemotionReachesSessionToken(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	gus := s.mint(t, &s.prod, map[string]any{"user_id": "gus", "role": "guest", "name": "Gus"})
	gusID := s.joined(t, gus, "stage", "joined")
	wantOK(t, s.produce(t, gus, "stage", gusID, "camera"), http.StatusOK)
	events := s.openEvents(t, "", "stage", 0)

	r := s.patch(t, s.user(t, "hana", "host"), "stage", gusID, map[string]any{"role": "viewer"})
	wantOK(t, r, http.StatusOK)
	if r.body["role"] != "viewer" || len(list(r.body["sources"])) != 0 || slices.Contains(list(r.body["permissions"]), "produce.camera") {
		t.Fatalf("demoted = %s", r.raw)
	}
	events.waitFor(t, "permissions.changed", gusID)
	wantProblem(t, s.produce(t, gus, "stage", gusID, "camera"), http.StatusForbidden, "missing_permission")

	s.clock.Advance(time.Second)
	tr := s.act(t, gus, "stage", gusID, "token", nil)
	wantOK(t, tr, http.StatusCreated)
	fresh := tr.body["access_token"].(string)
	_, c := claimsOf(t, fresh)
	if c.Grants.Role != "viewer" || slices.Contains(c.Grants.Permissions, "produce.camera") || c.Subject != "gus" {
		t.Fatalf("session token grants = %+v", c.Grants)
	}
	if !slices.Equal(c.Grants.Rooms, []string{"stage"}) || c.Grants.Participant != "gus" || c.User == nil || c.User.Name != "Gus" {
		t.Fatalf("session token = %+v user %+v", c.Grants, c.User)
	}
	s.wantAllowed(t, fresh, "stage", "consume")
	wantProblem(t, s.verify(t, fresh, "stage", "produce.camera"), http.StatusForbidden, "missing_permission")
	wantProblem(t, s.verify(t, fresh, "other", "consume"), http.StatusForbidden, "room_mismatch")
	// The fresh token acts as the session's participant.
	wantOK(t, s.act(t, fresh, "stage", gusID, "heartbeat", nil), http.StatusOK)
}

// A promotion shows in the session token too.
func TestPromotionReachesSessionToken(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	vic := s.user(t, "vic", "viewer")
	vicID := s.joined(t, vic, "stage", "joined")
	wantOK(t, s.patch(t, s.user(t, "hana", "host"), "stage", vicID, map[string]any{"role": "speaker"}), http.StatusOK)
	wantOK(t, s.produce(t, vic, "stage", vicID, "microphone"), http.StatusOK)
	tr := s.act(t, vic, "stage", vicID, "token", nil)
	wantOK(t, tr, http.StatusCreated)
	s.wantAllowed(t, tr.body["access_token"].(string), "stage", "produce.microphone")
}

func TestKick(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	gus := s.user(t, "gus", "guest")
	gusID := s.joined(t, gus, "stage", "joined")
	wantProblem(t, s.do(t, call{method: "DELETE", path: "/v1/rooms/stage/sessions/" + gusID, bearer: s.user(t, "vic", "viewer")}), http.StatusForbidden, "missing_permission")
	r := s.do(t, call{method: "DELETE", path: "/v1/rooms/stage/sessions/" + gusID, bearer: s.user(t, "ada", "admin")})
	wantOK(t, r, http.StatusOK)
	if r.body["state"] != "ended" || r.body["end_reason"] != "kicked" {
		t.Fatalf("kicked = %s", r.raw)
	}
	// Without block the participant may come back.
	s.joined(t, gus, "stage", "joined")
}

// Kicking with block=true bars the participant: it cannot join again, and
// its tokens, new ones too, are refused in the room, not elsewhere.
func TestKickAndBlock(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	gus := s.user(t, "gus", "guest")
	gusID := s.joined(t, gus, "stage", "joined")
	s.wantAllowed(t, gus, "stage", "consume")
	r := s.do(t, call{method: "DELETE", path: "/v1/rooms/stage/sessions/" + gusID + "?block=true", bearer: s.user(t, "ada", "admin")})
	wantOK(t, r, http.StatusOK)
	if r.body["end_reason"] != "kicked" {
		t.Fatalf("blocked = %s", r.raw)
	}
	wantProblem(t, s.join(t, gus, "stage"), http.StatusForbidden, "blocked")
	wantProblem(t, s.verify(t, gus, "stage", "consume"), http.StatusForbidden, "blocked")
	fresh := s.user(t, "gus", "guest")
	wantProblem(t, s.join(t, fresh, "stage"), http.StatusForbidden, "blocked")
	wantProblem(t, s.verify(t, fresh, "stage", "consume"), http.StatusForbidden, "blocked")
	s.wantAllowed(t, fresh, "elsewhere", "consume")
	wantProblem(t, s.do(t, call{method: "DELETE", path: "/v1/rooms/stage/sessions/" + gusID + "?block=maybe", basic: &s.prod}), http.StatusBadRequest, "invalid_request")
}
