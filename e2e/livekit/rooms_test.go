package livekit_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	"github.com/twitchtv/twirp"
)

// adminToken is a token of the LiveKit project administering room.
func (e *environment) adminToken(t testing.TB, room string) string {
	t.Helper()
	tok, err := auth.NewAccessToken(e.lkKey, e.lkSecret).SetVideoGrant(&auth.VideoGrant{RoomAdmin: true, Room: room}).ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// rooms is a client of LiveKit's server API holding a token: the
// project's own (admin of room) or a participant's.
func (e *environment) rooms(t testing.TB, token string) (livekit.RoomService, context.Context) {
	t.Helper()
	h := make(http.Header)
	h.Set("Authorization", "Bearer "+token)
	ctx, err := twirp.WithHTTPRequestHeaders(ctxFor(t, time.Minute), h)
	if err != nil {
		t.Fatal(err)
	}
	return livekit.NewRoomServiceProtobufClient("http"+e.lkURL[len("ws"):], http.DefaultClient), ctx
}

// participant reads a participant from LiveKit with the project's
// credentials.
func (e *environment) participant(t testing.TB, room, identity string) *livekit.ParticipantInfo {
	t.Helper()
	rs, ctx := e.rooms(t, e.adminToken(t, room))
	info, err := rs.GetParticipant(ctx, &livekit.RoomParticipantIdentity{Room: room, Identity: identity})
	if err != nil {
		t.Fatalf("reading %s in %s from LiveKit: %v", identity, room, err)
	}
	return info
}

// eventually waits until cond holds, reading LiveKit's state again at
// each of its changes it cannot be told of (a participant's permission):
// every 50ms, for at most wait.
func (e *environment) eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(wait)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: not within %v", what, wait)
		}
	}
}

// widen sets a participant's permission through LiveKit's own server API,
// with the LiveKit token of a participant holding roomAdmin there.
func (e *environment) widen(t testing.TB, admin, room, identity string, perm *livekit.ParticipantPermission) {
	t.Helper()
	rs, ctx := e.rooms(t, admin)
	if _, err := rs.UpdateParticipant(ctx, &livekit.UpdateParticipantRequest{Room: room, Identity: identity, Permission: perm}); err != nil {
		t.Fatalf("changing %s's permission through LiveKit's API: %v", identity, err)
	}
}
