package server

import (
	"net/http"
	"testing"
	"time"
)

// setPolicy sets the test app's session policy.
func (s *testServer) setPolicy(t *testing.T, policy string) {
	t.Helper()
	r := s.do(t, call{method: "PUT", path: "/v1/app/session-policy", basic: &s.prod, body: map[string]any{"policy": policy}})
	if r.status != http.StatusOK || r.body["policy"] != policy {
		t.Fatalf("set policy %s: %d %s", policy, r.status, r.raw)
	}
}

// Revoking a user's tokens ends that user's sessions and frees their
// producer slots; the event stream shows why.
func TestRevokeUserEndsSessions(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "solo", "type": "private"})
	s.newRoom(t, map[string]any{"name": "lobby"})
	alice := s.user(t, "alice", "guest")
	aliceID := s.joined(t, alice, "solo", "joined")
	lobbyID := s.joined(t, alice, "lobby", "joined")
	wantOK(t, s.produce(t, alice, "solo", aliceID, "camera"), http.StatusOK)
	bob := s.user(t, "bob", "guest")
	bobID := s.joined(t, bob, "solo", "joined")
	wantProblem(t, s.produce(t, bob, "solo", bobID, "camera"), http.StatusConflict, "room_full")
	events := s.openEvents(t, "", "solo", 0)
	lobby := s.openEvents(t, "", "lobby", 0)

	s.clock.Advance(time.Second)
	s.revoke(t, map[string]any{"user_id": "alice"})
	if ev := events.waitFor(t, "session.ended", aliceID); ev.Event.Data.Reason != "revoked" {
		t.Fatalf("ended for %q", ev.Event.Data.Reason)
	}
	if ev := lobby.waitFor(t, "session.ended", lobbyID); ev.Event.Data.Reason != "revoked" {
		t.Fatalf("lobby session ended for %q", ev.Event.Data.Reason)
	}
	wantOK(t, s.produce(t, bob, "solo", bobID, "camera"), http.StatusOK)
	wantOK(t, s.act(t, bob, "solo", bobID, "heartbeat", nil), http.StatusOK)
}

// Revoking the one token a session runs on ends it, under the join policy
// too: a revocation withdraws access on purpose.
func TestRevokeTokenEndsSessionUnderJoinPolicy(t *testing.T) {
	s := newTestServer(t)
	s.setPolicy(t, "join")
	s.newRoom(t, map[string]any{"name": "stage"})
	gus := s.user(t, "gus", "guest")
	gusID := s.joined(t, gus, "stage", "joined")
	_, c := claimsOf(t, gus)
	s.revoke(t, map[string]any{"token_id": c.ID})
	r := s.act(t, "", "stage", gusID, "heartbeat", nil)
	wantProblem(t, r, http.StatusConflict, "session_ended")
}

// Under the default continuous policy a session ends when its token
// expires without being replaced.
func TestContinuousPolicyEndsSessionOnTokenExpiry(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	gus := s.mint(t, &s.prod, map[string]any{"user_id": "gus", "role": "guest", "ttl_seconds": 20})
	gusID := s.joined(t, gus, "stage", "joined")
	r := s.act(t, gus, "stage", gusID, "heartbeat", nil)
	if r.body["token_expires_at"] == nil {
		t.Fatalf("continuous session does not watch its token: %s", r.raw)
	}
	events := s.openEvents(t, "", "stage", 0)
	s.clock.Advance(25 * time.Second)
	if ev := events.waitFor(t, "session.ended", gusID); ev.Event.Data.Reason != "expired" {
		t.Fatalf("ended for %q", ev.Event.Data.Reason)
	}
}

// Replacing the token through the session keeps the session past the old
// token's expiry.
func TestSessionTokenReplacesWatchedToken(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	gus := s.mint(t, &s.prod, map[string]any{"user_id": "gus", "role": "guest", "ttl_seconds": 20})
	gusID := s.joined(t, gus, "stage", "joined")
	s.clock.Advance(10 * time.Second)
	r := s.act(t, gus, "stage", gusID, "token", nil)
	wantOK(t, r, http.StatusCreated)
	fresh := r.body["access_token"].(string)
	s.clock.Advance(15 * time.Second)
	// A sweep pass past the old token's expiry.
	if err := s.auth.SweepSessions(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := s.act(t, fresh, "stage", gusID, "heartbeat", nil)
	wantOK(t, h, http.StatusOK)
	if h.body["state"] != "joined" {
		t.Fatalf("session = %s", h.raw)
	}
}

// Under the join policy the token is checked only at join: the session
// outlives it.
func TestJoinPolicyIgnoresTokenExpiry(t *testing.T) {
	s := newTestServer(t)
	s.setPolicy(t, "join")
	s.newRoom(t, map[string]any{"name": "stage"})
	gus := s.mint(t, &s.prod, map[string]any{"user_id": "gus", "role": "guest", "ttl_seconds": 20})
	gusID := s.joined(t, gus, "stage", "joined")
	s.clock.Advance(25 * time.Second)
	if err := s.auth.SweepSessions(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := s.act(t, "", "stage", gusID, "heartbeat", nil)
	wantOK(t, r, http.StatusOK)
	if r.body["state"] != "joined" || r.body["token_expires_at"] != nil {
		t.Fatalf("session = %s", r.raw)
	}
}

func TestSetSessionPolicyRefused(t *testing.T) {
	s := newTestServer(t)
	r := s.do(t, call{method: "PUT", path: "/v1/app/session-policy", basic: &s.prod, body: map[string]any{"policy": "sometimes"}})
	wantProblem(t, r, http.StatusBadRequest, "invalid_request")
	r = s.do(t, call{method: "PUT", path: "/v1/app/session-policy", body: map[string]any{"policy": "join"}})
	wantProblem(t, r, http.StatusUnauthorized, "invalid_client")
}
