package livekit_test

import (
	"errors"
	"testing"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

// A LiveKit token stagedoor mints joins LiveKit; the participant is
// mirrored as a session with the rights stagedoor gave, and its publish is
// counted as producing.
func TestLiveKitTokenJoins(t *testing.T) {
	e := setup(t)
	e.dumpLogs(t)
	e.createRoom(t, "joins", "custom", 0)
	ev := e.follow(t, "joins")
	tok := e.liveKitToken(t, map[string]any{"user_id": "alice", "role": "guest", "rooms": []string{"joins"}, "name": "Alice", "metadata": map[string]any{"team": "blue"}})
	c := e.mustConnect(t, tok.AccessToken)
	lp := c.room.LocalParticipant
	if lp.Identity() != "alice" || lp.Name() != "Alice" || lp.Metadata() != `{"team":"blue"}` {
		t.Fatalf("joined as %q named %q with metadata %q", lp.Identity(), lp.Name(), lp.Metadata())
	}
	perm := lp.Permissions()
	if !perm.CanPublish || !perm.CanSubscribe || !perm.CanPublishData || !perm.CanUpdateMetadata || perm.Hidden {
		t.Fatalf("a guest's permission in LiveKit: %v", perm)
	}
	joined := ev.next(t, "session for alice", of("session.joined", "alice"))
	if s := joined.Data.Session; s.Role != "guest" || s.State != "joined" {
		t.Fatalf("mirrored as %+v", s)
	}
	c.mustPublish(t, livekit.TrackSource_MICROPHONE)
	started := ev.next(t, "alice's microphone counted", of("produce.started", "alice"))
	if started.Data.Source != "microphone" || started.SessionID != joined.SessionID {
		t.Fatalf("produce.started %+v", started)
	}
	c.room.Disconnect()
	if left := ev.next(t, "alice's session ended", of("session.ended", "alice")); left.Data.Reason != "left" || left.SessionID != joined.SessionID {
		t.Fatalf("session.ended %+v", left)
	}
}

// A viewer's token does not allow publishing, and LiveKit itself refuses
// the publish.
func TestViewerPublishIsRefusedByLiveKit(t *testing.T) {
	e := setup(t)
	e.dumpLogs(t)
	e.createRoom(t, "watch", "livestream", 0)
	tok := e.liveKitToken(t, map[string]any{"user_id": "vera", "role": "viewer", "rooms": []string{"watch"}})
	c := e.mustConnect(t, tok.AccessToken)
	if perm := c.room.LocalParticipant.Permissions(); perm.CanPublish || len(perm.CanPublishSources) > 0 || perm.CanPublishData || !perm.CanSubscribe {
		t.Fatalf("a viewer's permission in LiveKit: %v", perm)
	}
	if _, err := c.publish(livekit.TrackSource_CAMERA); !errors.Is(err, lksdk.ErrTrackPublishTimeout) {
		t.Fatalf("publishing as a viewer: %v, want LiveKit's refusal", err)
	}
	info := e.participant(t, "watch", "vera")
	if len(info.Tracks) != 0 {
		t.Fatalf("LiveKit has the viewer's tracks %v", info.Tracks)
	}
}
