package server

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// race has n participants join room with role, then all ask to produce
// their camera at once over HTTP; it returns how many won and how many were
// refused with 409 room_full.
func race(t *testing.T, s *testServer, room, role string, n int) (won, full int) {
	t.Helper()
	toks, ids := make([]string, n), make([]string, n)
	for i := range n {
		toks[i] = s.user(t, fmt.Sprintf("p%02d", i), role)
		ids[i] = s.joined(t, toks[i], room, "joined")
	}
	replies := make([]reply, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			replies[i] = s.produce(t, toks[i], room, ids[i], "camera")
		})
	}
	close(start)
	wg.Wait()
	for _, r := range replies {
		switch {
		case r.status == http.StatusOK:
			won++
		case r.status == http.StatusConflict && r.body["code"] == "room_full":
			full++
		default:
			t.Errorf("unexpected answer %d %s", r.status, r.raw)
		}
	}
	return won, full
}

// 50 participants race to produce in a private room (NativeFrame's
// private-broadcaster: one producer): exactly one wins.
func TestProduceRacePrivateRoom(t *testing.T) {
	s := newTestServer(t)
	r := s.do(t, call{method: "POST", path: "/v1/rooms", bearer: s.user(t, "owner", "private-broadcaster"), body: map[string]any{"name": "private"}})
	wantOK(t, r, http.StatusCreated)
	won, full := race(t, s, "private", "private-viewer", 50)
	if won != 1 || full != 49 {
		t.Fatalf("%d won, %d refused as full; want 1 and 49", won, full)
	}
	if n := len(s.roomView(t, "private").body["producers"].([]any)); n != 1 {
		t.Fatalf("%d producers listed, want 1", n)
	}
}

// In a conference (conference-owner: ten producers) exactly ten win.
func TestProduceRaceConference(t *testing.T) {
	s := newTestServer(t)
	r := s.do(t, call{method: "POST", path: "/v1/rooms", bearer: s.user(t, "owner", "conference-owner"), body: map[string]any{"name": "conf"}})
	wantOK(t, r, http.StatusCreated)
	won, full := race(t, s, "conf", "conference-participant", 50)
	if won != 10 || full != 40 {
		t.Fatalf("%d won, %d refused as full; want 10 and 40", won, full)
	}
}

func TestViewerCannotProduce(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	tok := s.user(t, "v", "viewer")
	id := s.joined(t, tok, "stage", "joined")
	r := s.produce(t, tok, "stage", id, "camera")
	wantProblem(t, r, http.StatusForbidden, "missing_permission")
	if r.body["missing_permission"] != "produce.camera" {
		t.Fatalf("missing %v", r.body["missing_permission"])
	}
}

// A speaker (Huddle01: audio only) produces its microphone, not its camera.
func TestProduceChecksEachSource(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	tok := s.user(t, "sp", "speaker")
	id := s.joined(t, tok, "stage", "joined")
	wantOK(t, s.produce(t, tok, "stage", id, "microphone"), http.StatusOK)
	wantProblem(t, s.produce(t, tok, "stage", id, "screen"), http.StatusForbidden, "missing_permission")
	r := s.produce(t, tok, "stage", id, "hologram")
	wantProblem(t, r, http.StatusBadRequest, "invalid_request")
	if r.body["field"] != "source" {
		t.Fatalf("field %v", r.body["field"])
	}
}

// Sources of one session share its one producer slot; unproducing the last
// frees it.
func TestUnproduceFreesSlot(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "solo", "type": "private"})
	alice := s.user(t, "alice", "guest")
	aliceID := s.joined(t, alice, "solo", "joined")
	bob := s.user(t, "bob", "guest")
	bobID := s.joined(t, bob, "solo", "joined")
	wantOK(t, s.produce(t, alice, "solo", aliceID, "camera"), http.StatusOK)
	r := s.produce(t, alice, "solo", aliceID, "microphone")
	wantOK(t, r, http.StatusOK)
	if got := list(r.body["sources"]); len(got) != 2 {
		t.Fatalf("sources = %v", got)
	}
	wantProblem(t, s.produce(t, bob, "solo", bobID, "camera"), http.StatusConflict, "room_full")
	wantOK(t, s.act(t, alice, "solo", aliceID, "unproduce", map[string]any{"source": "camera"}), http.StatusOK)
	wantProblem(t, s.produce(t, bob, "solo", bobID, "camera"), http.StatusConflict, "room_full")
	r = s.act(t, alice, "solo", aliceID, "unproduce", map[string]any{"source": "microphone"})
	wantOK(t, r, http.StatusOK)
	if got := list(r.body["sources"]); len(got) != 0 {
		t.Fatalf("sources = %v", got)
	}
	wantOK(t, s.produce(t, bob, "solo", bobID, "camera"), http.StatusOK)
}

func TestProduceWithoutSource(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	tok := s.user(t, "g", "guest")
	id := s.joined(t, tok, "stage", "joined")
	r := s.act(t, tok, "stage", id, "produce", map[string]any{})
	wantProblem(t, r, http.StatusBadRequest, "invalid_request")
}
