package livekit_test

import (
	"errors"
	"net/http"
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

// In a private room (one producer) two participants publish at once: the
// one stagedoor counts first keeps publishing, the other's publish is
// stopped with the reason in its stagedoor.reason attribute, and its
// publish permission is withdrawn while the slot is taken. A moderator
// widening that permission through LiveKit's own API does not let it
// publish either.
func TestPrivateRoomStopsTheSecondPublisher(t *testing.T) {
	e := setup(t)
	e.dumpLogs(t)
	e.createRoom(t, "solo", "private", 0)
	ev := e.follow(t, "solo")
	ann := e.mustConnect(t, e.liveKitToken(t, map[string]any{"user_id": "ann", "role": "guest", "rooms": []string{"solo"}}).AccessToken)
	ben := e.mustConnect(t, e.liveKitToken(t, map[string]any{"user_id": "ben", "role": "guest", "rooms": []string{"solo"}}).AccessToken)
	for _, id := range []string{"ann", "ben"} {
		ev.next(t, "session for "+id, of("session.joined", id))
	}

	type published struct {
		who *client
		sid string
		err error
	}
	results := make(chan published, 2)
	for _, c := range []*client{ann, ben} {
		go func() {
			pub, err := c.publish(livekit.TrackSource_CAMERA)
			r := published{who: c, err: err}
			if err == nil {
				r.sid = pub.SID()
			}
			results <- r
		}()
	}
	won := ev.next(t, "a producer slot taken", func(x event) bool { return x.Type == "produce.started" })
	winner, loser := ann, ben
	if won.participant() == "ben" {
		winner, loser = ben, ann
	}
	var loserSID, winnerSID string
	for range 2 {
		r := <-results
		switch {
		case r.who == winner && r.err != nil:
			t.Fatalf("the first publisher's publish failed: %v", r.err)
		case r.who == winner:
			winnerSID = r.sid
		case r.err == nil:
			loserSID = r.sid
		case !errors.Is(r.err, lksdk.ErrTrackPublishTimeout):
			t.Fatalf("the second publish failed with %v", r.err)
		}
	}
	if loserSID != "" {
		waitSID(t, loser.unpublished, loserSID, "taken down")
	}
	// Whether its track was taken down or its publish refused, the
	// second publisher is told why.
	loser.waitAttr(t, "stagedoor.reason", "room_full")
	loserID := loser.room.LocalParticipant.Identity()
	e.eventually(t, "the second publisher's publish permission withdrawn", func() bool {
		p := e.participant(t, "solo", loserID)
		return !p.Permission.CanPublish && len(p.Tracks) == 0
	})
	if info := e.participant(t, "solo", winner.room.LocalParticipant.Identity()); len(info.Tracks) != 1 || info.Tracks[0].Sid != winnerSID || info.Tracks[0].Muted {
		t.Fatalf("the first publisher's tracks: %v", info.Tracks)
	}

	// A host's LiveKit token is roomAdmin: it widens the other's
	// permission through LiveKit's API, and the publish is stopped anyway.
	host := e.liveKitToken(t, map[string]any{"user_id": "hal", "role": "host", "rooms": []string{"solo"}})
	e.widen(t, host.AccessToken, "solo", loserID, &livekit.ParticipantPermission{
		CanSubscribe: true, CanPublish: true, CanPublishSources: []livekit.TrackSource{livekit.TrackSource_CAMERA}, CanPublishData: true,
	})
	pub := loser.mustPublish(t, livekit.TrackSource_CAMERA)
	waitSID(t, loser.unpublished, pub.SID(), "taken down")
	loser.waitAttr(t, "stagedoor.reason", "room_full")
	if info := e.participant(t, "solo", winner.room.LocalParticipant.Identity()); len(info.Tracks) != 1 || info.Tracks[0].Muted {
		t.Fatalf("the first publisher's tracks: %v", info.Tracks)
	}
	var v roomView
	e.mustAPI(t, http.StatusOK, "GET", "/v1/rooms/solo", "", nil, &v)
	producers := 0
	for _, s := range v.Participants {
		if len(s.Sources) > 0 {
			producers++
		}
	}
	if producers != 1 {
		t.Fatalf("%d producers in a private room: %+v", producers, v.Participants)
	}

	// Once the first publisher leaves, the slot is free again.
	winner.room.Disconnect()
	e.eventually(t, "publishing allowed again", func() bool { return e.participant(t, "solo", loserID).Permission.CanPublish })
}

// A participant holding only room.ask_join gets no LiveKit token until a
// moderator admits its session; then the session's LiveKit token joins,
// mirrored as that same session.
func TestWaitingRoom(t *testing.T) {
	e := setup(t)
	e.dumpLogs(t)
	e.createRoom(t, "lobby", "conference", 0)
	ev := e.follow(t, "lobby")
	ask := map[string]any{"user_id": "wes", "role": "applicant", "rooms": []string{"lobby"}}
	var refused problem
	e.mustAPI(t, http.StatusForbidden, "POST", "/v1/tokens", "", map[string]any{"user_id": "wes", "role": "applicant", "rooms": []string{"lobby"}, "format": "livekit"}, &refused)
	if refused.Code != "not_admitted" {
		t.Fatalf("refused with %+v", refused)
	}
	tok := e.stagedoorToken(t, ask)
	var s session
	e.mustAPI(t, http.StatusCreated, "POST", "/v1/rooms/lobby/join", tok, map[string]any{}, &s)
	if s.State != "waiting" {
		t.Fatalf("joined as %+v", s)
	}
	path := "/v1/rooms/lobby/sessions/" + s.SessionID
	e.mustAPI(t, http.StatusForbidden, "POST", path+"/token", tok, map[string]any{"format": "livekit"}, &refused)
	if refused.Code != "not_admitted" {
		t.Fatalf("refused with %+v", refused)
	}
	e.mustAPI(t, http.StatusOK, "POST", path+"/admit", "", map[string]any{}, nil)
	var lk issued
	e.mustAPI(t, http.StatusCreated, "POST", path+"/token", tok, map[string]any{"format": "livekit"}, &lk)
	if lk.Format != "livekit" || lk.URL != e.lkURL {
		t.Fatalf("session token %+v", lk)
	}
	c := e.mustConnect(t, lk.AccessToken)
	if perm := c.room.LocalParticipant.Permissions(); !perm.CanPublish || !perm.CanSubscribe || perm.CanPublishData {
		t.Fatalf("the admitted applicant's permission: %v", perm)
	}
	c.mustPublish(t, livekit.TrackSource_MICROPHONE)
	if started := ev.next(t, "wes producing", of("produce.started", "wes")); started.SessionID != s.SessionID {
		t.Fatalf("mirrored as session %s, want the admitted %s", started.SessionID, s.SessionID)
	}
}

// problem is a problem+json answer.
type problem struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Kicking with block removes the participant from LiveKit, and its old
// token no longer keeps it there.
func TestKickWithBlock(t *testing.T) {
	e := setup(t)
	e.dumpLogs(t)
	e.createRoom(t, "strict", "conference", 0)
	ev := e.follow(t, "strict")
	tok := e.liveKitToken(t, map[string]any{"user_id": "kim", "role": "guest", "rooms": []string{"strict"}})
	c := e.mustConnect(t, tok.AccessToken)
	joined := ev.next(t, "session for kim", of("session.joined", "kim"))
	e.mustAPI(t, http.StatusOK, "DELETE", "/v1/rooms/strict/sessions/"+joined.SessionID+"?block=true", "", nil, nil)
	if r := c.waitDisconnected(t); r != lksdk.ParticipantRemoved {
		t.Fatalf("sent away for %v", r)
	}
	again, err := e.connect(t, tok.AccessToken)
	if err == nil {
		if r := again.waitDisconnected(t); r != lksdk.ParticipantRemoved {
			t.Fatalf("rejoined, then sent away for %v", r)
		}
	}
	// Sent away once in, or while still joining (then the join fails):
	// either way stagedoor removed the rejoin because of the block.
	e.eventually(t, "the rejoin removed as blocked", func() bool {
		rs := e.removalsLogged("strict", "kim")
		return len(rs) == 2 && rs[0].Reason == "kicked" && rs[1].Reason == "blocked"
	})
	var refused problem
	e.mustAPI(t, http.StatusForbidden, "POST", "/v1/tokens", "", map[string]any{"user_id": "kim", "role": "guest", "rooms": []string{"strict"}, "format": "livekit"}, &refused)
	if refused.Code != "blocked" {
		t.Fatalf("a new token for the blocked participant: %+v", refused)
	}
}

// Revoking a user removes its connected participant.
func TestRevokedUserIsRemoved(t *testing.T) {
	e := setup(t)
	e.dumpLogs(t)
	e.createRoom(t, "talk", "conference", 0)
	ev := e.follow(t, "talk")
	c := e.mustConnect(t, e.liveKitToken(t, map[string]any{"user_id": "rex", "role": "guest", "rooms": []string{"talk"}}).AccessToken)
	ev.next(t, "session for rex", of("session.joined", "rex"))
	e.mustAPI(t, http.StatusCreated, "POST", "/v1/revocations", "", map[string]any{"user_id": "rex"}, nil)
	if r := c.waitDisconnected(t); r != lksdk.ParticipantRemoved {
		t.Fatalf("sent away for %v", r)
	}
	if ended := ev.next(t, "rex's session ended", of("session.ended", "rex")); ended.Data.Reason != "revoked" {
		t.Fatalf("ended for %q", ended.Data.Reason)
	}
}

// A moderator's mute in stagedoor mutes the track in LiveKit; a role
// change takes effect in LiveKit's permissions and takes down what the
// new role may not publish.
func TestModerationIsAppliedInLiveKit(t *testing.T) {
	e := setup(t)
	e.dumpLogs(t)
	e.createRoom(t, "panel", "conference", 0)
	ev := e.follow(t, "panel")
	c := e.mustConnect(t, e.liveKitToken(t, map[string]any{"user_id": "cat", "role": "guest", "rooms": []string{"panel"}}).AccessToken)
	mic := c.mustPublish(t, livekit.TrackSource_MICROPHONE)
	cam := c.mustPublish(t, livekit.TrackSource_CAMERA)
	started := ev.next(t, "cat's camera counted", func(x event) bool { return x.Type == "produce.started" && x.Data.Source == "camera" })
	moderator := e.stagedoorToken(t, map[string]any{"user_id": "mod", "role": "co-host", "rooms": []string{"panel"}})
	path := "/v1/rooms/panel/sessions/" + started.SessionID
	e.mustAPI(t, http.StatusOK, "PATCH", path, moderator, map[string]any{"mute": []string{"microphone"}}, nil)
	waitSID(t, c.muted, mic.SID(), "muted")
	e.eventually(t, "the microphone muted in LiveKit, the camera not", func() bool {
		muted := map[string]bool{}
		for _, tr := range e.participant(t, "panel", "cat").Tracks {
			muted[tr.Sid] = tr.Muted
		}
		return muted[mic.SID()] && !muted[cam.SID()]
	})
	e.mustAPI(t, http.StatusOK, "PATCH", path, moderator, map[string]any{"role": "listener"}, nil)
	waitSID(t, c.unpublished, cam.SID(), "taken down")
	e.eventually(t, "a listener's permission", func() bool {
		p := e.participant(t, "panel", "cat").Permission
		return !p.CanPublish && p.CanSubscribe && p.CanPublishData && !p.CanUpdateMetadata
	})
	// Escalation is refused in stagedoor, and nothing changes in LiveKit.
	e.mustAPI(t, http.StatusForbidden, "PATCH", path, moderator, map[string]any{"role": "host"}, nil)
}

// Restarting stagedoor mid-room keeps every rule: what happened in LiveKit
// while stagedoor was away, its webhooks lost (a blocked participant back
// with its old token, a permission widened through LiveKit's API, a room
// that started meanwhile with a revoked user in it, a participant
// unmuting what a moderator muted) is undone on start from LiveKit's
// lists of rooms and participants, the participants in good
// standing stay, and what stagedoor decides afterwards is enforced.
func TestStagedoorRestartKeepsTheRules(t *testing.T) {
	e := setup(t)
	e.dumpLogs(t)
	e.createRoom(t, "keep", "private", 0)
	ev := e.follow(t, "keep")
	ann := e.mustConnect(t, e.liveKitToken(t, map[string]any{"user_id": "ann", "role": "guest", "rooms": []string{"keep"}}).AccessToken)
	annCam := ann.mustPublish(t, livekit.TrackSource_CAMERA)
	ev.next(t, "ann producing", of("produce.started", "ann"))
	dan := e.liveKitToken(t, map[string]any{"user_id": "dan", "role": "guest", "rooms": []string{"keep"}})
	d := e.mustConnect(t, dan.AccessToken)
	danSession := ev.next(t, "session for dan", of("session.joined", "dan"))
	e.mustAPI(t, http.StatusOK, "DELETE", "/v1/rooms/keep/sessions/"+danSession.SessionID+"?block=true", "", nil, nil)
	d.waitDisconnected(t)
	ben := e.mustConnect(t, e.liveKitToken(t, map[string]any{"user_id": "ben", "role": "guest", "rooms": []string{"keep"}}).AccessToken)
	ev.next(t, "session for ben", of("session.joined", "ben"))
	e.eventually(t, "ben without publish permission while ann holds the slot", func() bool {
		return !e.participant(t, "keep", "ben").Permission.CanPublish
	})
	host := e.liveKitToken(t, map[string]any{"user_id": "hal", "role": "host", "rooms": []string{"keep"}})
	// A room LiveKit has not started yet, and a user revoked before
	// joining it.
	e.createRoom(t, "late", "conference", 0)
	rex := e.liveKitToken(t, map[string]any{"user_id": "rex", "role": "guest", "rooms": []string{"late"}})
	liv := e.liveKitToken(t, map[string]any{"user_id": "liv", "role": "guest", "rooms": []string{"late"}})
	e.mustAPI(t, http.StatusCreated, "POST", "/v1/revocations", "", map[string]any{"user_id": "rex"}, nil)
	// A microphone a moderator muted through stagedoor.
	e.createRoom(t, "hush", "conference", 0)
	hush := e.follow(t, "hush")
	cat := e.mustConnect(t, e.liveKitToken(t, map[string]any{"user_id": "cat", "role": "guest", "rooms": []string{"hush"}}).AccessToken)
	mic := cat.mustPublish(t, livekit.TrackSource_MICROPHONE)
	catSession := hush.next(t, "cat producing", of("produce.started", "cat"))
	moderator := e.stagedoorToken(t, map[string]any{"user_id": "mod", "role": "co-host", "rooms": []string{"hush"}})
	e.mustAPI(t, http.StatusOK, "PATCH", "/v1/rooms/hush/sessions/"+catSession.SessionID, moderator, map[string]any{"mute": []string{"microphone"}}, nil)
	waitSID(t, cat.muted, mic.SID(), "muted")
	cat.waitAttr(t, "stagedoor.muted", "microphone")
	micMuted := func() bool {
		for _, tr := range e.participant(t, "hush", "cat").Tracks {
			if tr.Sid == mic.SID() {
				return tr.Muted
			}
		}
		t.Fatalf("cat's microphone is gone from LiveKit")
		return false
	}

	e.hooks.lose(true)
	e.sd.stop()
	// While stagedoor is away: the blocked participant comes back with
	// its old token, a host widens ben's permission through LiveKit, and
	// the room late starts with the revoked rex and liv in it.
	back := e.mustConnect(t, dan.AccessToken)
	e.widen(t, host.AccessToken, "keep", "ben", &livekit.ParticipantPermission{
		CanSubscribe: true, CanPublish: true, CanPublishData: true, Hidden: true,
	})
	rexIn := e.mustConnect(t, rex.AccessToken)
	livIn := e.mustConnect(t, liv.AccessToken)
	// ... and cat unmutes its microphone.
	mic.SetMuted(false)
	e.eventually(t, "cat's microphone unmuted while stagedoor is away", func() bool { return !micMuted() })
	e.hooks.lose(false)
	sd, err := e.startStagedoor()
	if err != nil {
		t.Fatal(err)
	}
	e.sd = sd

	if r := back.waitDisconnected(t); r != lksdk.ParticipantRemoved {
		t.Fatalf("the blocked participant was sent away for %v", r)
	}
	if r := rexIn.waitDisconnected(t); r != lksdk.ParticipantRemoved {
		t.Fatalf("the revoked participant of the room started meanwhile was sent away for %v", r)
	}
	e.eventually(t, "liv mirrored as a session of the room started meanwhile", func() bool {
		s, ok := e.room(t, "late").session("liv")
		return ok && s.State == "joined"
	})
	select {
	case r := <-livIn.disconnected:
		t.Fatalf("liv was sent away: %v", r)
	default:
	}
	e.eventually(t, "cat's microphone muted again", micMuted)
	e.eventually(t, "ben's widened permission undone", func() bool {
		p := e.participant(t, "keep", "ben").Permission
		return !p.CanPublish && !p.Hidden && p.CanSubscribe
	})
	if info := e.participant(t, "keep", "ann"); len(info.Tracks) != 1 || info.Tracks[0].Sid != annCam.SID() || info.Tracks[0].Muted {
		t.Fatalf("ann's tracks after the restart: %v", info.Tracks)
	}
	select {
	case r := <-ann.disconnected:
		t.Fatalf("ann was sent away: %v", r)
	default:
	}

	// Rules decided after the restart hold too.
	ev = e.follow(t, "keep")
	e.mustAPI(t, http.StatusCreated, "POST", "/v1/revocations", "", map[string]any{"user_id": "ann"}, nil)
	if r := ann.waitDisconnected(t); r != lksdk.ParticipantRemoved {
		t.Fatalf("ann was sent away for %v", r)
	}
	e.eventually(t, "ben may publish once the slot is free", func() bool {
		return e.participant(t, "keep", "ben").Permission.CanPublish
	})
	ben.mustPublish(t, livekit.TrackSource_CAMERA)
	ev.next(t, "ben producing", of("produce.started", "ben"))
}
