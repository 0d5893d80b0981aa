package server

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestJoin(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	tok := s.mint(t, &s.prod, map[string]any{"user_id": "gus", "role": "guest", "participant_id": "gus-phone"})
	r := s.join(t, tok, "stage")
	wantOK(t, r, http.StatusCreated)
	if r.body["state"] != "joined" || r.body["participant"] != "gus-phone" || r.body["user_id"] != "gus" || r.body["role"] != "guest" {
		t.Fatalf("join = %s", r.raw)
	}
	if id, _ := r.body["session_id"].(string); id == "" {
		t.Fatalf("no session id: %s", r.raw)
	}
	perms := list(r.body["permissions"])
	if !slices.Contains(perms, "produce.camera") || !slices.Contains(perms, "room.join") {
		t.Fatalf("permissions = %v", perms)
	}
	lease, _ := time.Parse(time.RFC3339, r.body["lease_until"].(string))
	if !lease.Equal(s.clock.Now().Add(30 * time.Second)) {
		t.Fatalf("lease until %v, want now+30s", lease)
	}
}

func TestJoinWithoutJoinPermission(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	s.role(t, "lurker", 5, "consume")
	r := s.join(t, s.user(t, "l", "lurker"), "stage")
	wantProblem(t, r, http.StatusForbidden, "missing_permission")
	if r.body["missing_permission"] != "room.join" {
		t.Fatalf("missing %v", r.body["missing_permission"])
	}
}

func TestJoinOutsideTokenRooms(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	s.newRoom(t, map[string]any{"name": "backstage"})
	wantProblem(t, s.join(t, s.user(t, "v", "viewer", "stage"), "backstage"), http.StatusForbidden, "room_mismatch")
}

// An anonymous watcher is bound to its rooms (Stream's anonymous users).
func TestAnonymousJoinsOnlyItsRooms(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	s.newRoom(t, map[string]any{"name": "backstage"})
	anon := s.mint(t, &s.prod, map[string]any{"user_type": "anonymous", "role": "viewer", "rooms": []string{"stage"}})
	wantProblem(t, s.join(t, anon, "backstage"), http.StatusForbidden, "room_mismatch")
	r := s.join(t, anon, "stage")
	wantOK(t, r, http.StatusCreated)
	if r.body["user_id"] != "!anon" {
		t.Fatalf("anonymous session = %s", r.raw)
	}
	// Two anonymous watchers are two participants, not one replacing the other.
	other := s.mint(t, &s.prod, map[string]any{"user_type": "anonymous", "role": "viewer", "rooms": []string{"stage"}})
	s.joined(t, other, "stage", "joined")
	if n := len(s.roomView(t, "stage").body["participants"].([]any)); n != 2 {
		t.Fatalf("%d participants, want 2", n)
	}
}

func TestJoinUnknownRoom(t *testing.T) {
	s := newTestServer(t)
	wantProblem(t, s.join(t, s.user(t, "v", "viewer"), "nowhere"), http.StatusNotFound, "not_found")
}

func TestJoinFullRoom(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "small", "max_participants": 2})
	s.joined(t, s.user(t, "a", "viewer"), "small", "joined")
	s.joined(t, s.user(t, "b", "viewer"), "small", "joined")
	wantProblem(t, s.join(t, s.user(t, "c", "viewer"), "small"), http.StatusConflict, "room_full")
}

func TestJoinWithExpiredOrRevokedToken(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	short := s.mint(t, &s.prod, map[string]any{"user_id": "a", "role": "viewer", "ttl_seconds": 5})
	revoked := s.user(t, "m", "viewer")
	s.clock.Advance(2 * time.Second)
	s.revoke(t, map[string]any{"user_id": "m"})
	s.clock.Advance(time.Minute)
	wantProblem(t, s.join(t, short, "stage"), http.StatusUnauthorized, "expired")
	wantProblem(t, s.join(t, revoked, "stage"), http.StatusUnauthorized, "revoked")
	wantProblem(t, s.join(t, "", "stage"), http.StatusUnauthorized, "invalid_token")
}

// A second join by the same participant replaces the first session.
func TestDuplicateIdentityReplaces(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage", "type": "private"})
	laptop := s.user(t, "alice", "host")
	first := s.joined(t, laptop, "stage", "joined")
	wantOK(t, s.produce(t, laptop, "stage", first, "camera"), http.StatusOK)
	events := s.openEvents(t, "", "stage", 0)

	phone := s.user(t, "alice", "host")
	second := s.joined(t, phone, "stage", "joined")
	ev := events.waitFor(t, "session.ended", first)
	if ev.Event.Data.Reason != "duplicate_identity" {
		t.Fatalf("old session ended for %q", ev.Event.Data.Reason)
	}
	wantProblem(t, s.produce(t, laptop, "stage", first, "camera"), http.StatusConflict, "session_ended")
	// The replaced session's producer slot is free for the new one.
	wantOK(t, s.produce(t, phone, "stage", second, "camera"), http.StatusOK)
	if n := len(s.roomView(t, "stage").body["participants"].([]any)); n != 1 {
		t.Fatalf("%d participants, want 1", n)
	}
}

func TestLeave(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	tok := s.user(t, "a", "guest")
	id := s.joined(t, tok, "stage", "joined")
	r := s.act(t, tok, "stage", id, "leave", nil)
	wantOK(t, r, http.StatusOK)
	if r.body["state"] != "ended" || r.body["end_reason"] != "left" {
		t.Fatalf("leave = %s", r.raw)
	}
	wantProblem(t, s.act(t, tok, "stage", id, "leave", nil), http.StatusConflict, "session_ended")
	wantProblem(t, s.produce(t, tok, "stage", id, "camera"), http.StatusConflict, "session_ended")
}

func TestUnknownSession(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	wantProblem(t, s.act(t, "", "stage", "ses_nope", "heartbeat", nil), http.StatusNotFound, "not_found")
}

// Only the session's own participant, a moderator (for moderation) or an
// API key acts on a session.
func TestActingOnAnotherParticipantsSession(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	alice := s.user(t, "alice", "guest")
	id := s.joined(t, alice, "stage", "joined")
	bob := s.user(t, "bob", "guest")
	s.joined(t, bob, "stage", "joined")
	for _, action := range []string{"heartbeat", "leave", "token"} {
		wantProblem(t, s.act(t, bob, "stage", id, action, nil), http.StatusForbidden, "participant_mismatch")
	}
	wantProblem(t, s.produce(t, bob, "stage", id, "camera"), http.StatusForbidden, "participant_mismatch")
	// A host may moderate but not act as the participant.
	wantProblem(t, s.produce(t, s.user(t, "hana", "host"), "stage", id, "camera"), http.StatusForbidden, "participant_mismatch")
	wantOK(t, s.act(t, "", "stage", id, "heartbeat", nil), http.StatusOK)
}

// A lease not renewed ends the session and frees its producer slot; a
// heartbeat renews it.
func TestLeaseExpiryFreesSlot(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "solo", "type": "private"})
	alice := s.user(t, "alice", "private-viewer")
	aliceID := s.joined(t, alice, "solo", "joined")
	wantOK(t, s.produce(t, alice, "solo", aliceID, "camera"), http.StatusOK)
	bob := s.user(t, "bob", "private-viewer")
	bobID := s.joined(t, bob, "solo", "joined")
	wantProblem(t, s.produce(t, bob, "solo", bobID, "camera"), http.StatusConflict, "room_full")

	for range 3 {
		s.clock.Advance(20 * time.Second)
		wantOK(t, s.act(t, alice, "solo", aliceID, "heartbeat", nil), http.StatusOK)
		wantOK(t, s.act(t, bob, "solo", bobID, "heartbeat", nil), http.StatusOK)
	}
	wantProblem(t, s.produce(t, bob, "solo", bobID, "camera"), http.StatusConflict, "room_full")

	events := s.openEvents(t, "", "solo", 0)
	s.clock.Advance(20 * time.Second)
	wantOK(t, s.act(t, bob, "solo", bobID, "heartbeat", nil), http.StatusOK)
	s.clock.Advance(15 * time.Second)
	ev := events.waitFor(t, "session.ended", aliceID)
	if ev.Event.Data.Reason != "lease_expired" {
		t.Fatalf("ended for %q", ev.Event.Data.Reason)
	}
	wantOK(t, s.produce(t, bob, "solo", bobID, "camera"), http.StatusOK)
}
