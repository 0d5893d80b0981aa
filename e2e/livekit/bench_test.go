package livekit_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

// crowd is how many participants join at once in the benchmark.
const crowd = 50

// BenchmarkEnforcement measures the loop from LiveKit's webhook to what
// stagedoor does about it, for a crowd of participants joining at once:
//
//   - revoked: their tokens were revoked before they joined; from the
//     webhook that made stagedoor act (the participant's participant_joined,
//     or the room's room_started when stagedoor found the participant in
//     LiveKit's list first) reaching stagedoor to the client told it was
//     removed (for a participant removed while still joining, whose client
//     only notices at its connect timeout, to stagedoor's log of LiveKit
//     taking the removal);
//   - rejoined: a crowd kicked with block through stagedoor joins again at
//     once with its old tokens; from each rejoin's participant_joined
//     webhook reaching stagedoor to the client told it was removed (or,
//     removed while still joining, to stagedoor's log of it);
//   - revoked-live: a connected crowd whose room's tokens are revoked
//     with one call; from the call to each client told it was removed;
//   - mirrored: from the participant_joined webhook to the session.joined
//     event of the mirrored session on the room's event stream;
//   - baseline: LiveKit's own floor, from a RoomService.RemoveParticipant
//     call to the client told it was removed, for the same crowd.
//
// Each is reported as p50 and p99 in milliseconds, and the revoked,
// rejoined and revoked-live p50 and p99 as ratios of the baseline's.
func BenchmarkEnforcement(b *testing.B) {
	e := setup(b)
	var revoked, rejoined, cut, mirrored, baseline []time.Duration
	refusedJoins := 0
	for i := 0; b.Loop(); i++ {
		room := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i)

		// A crowd joins with valid tokens: webhook to mirrored session.
		joined := e.crowdIn(b, room, "m")
		clients := joined.clients
		for id, at := range joined.mirroredAt {
			hook, ok := e.hooks.at("participant_joined", room, id)
			if !ok {
				b.Fatalf("no webhook for %s", id)
			}
			mirrored = append(mirrored, at.Sub(hook))
		}

		// LiveKit's floor: the same crowd removed by direct calls.
		rs, ctx := e.rooms(b, e.adminToken(b, room))
		var wg sync.WaitGroup
		starts := make([]time.Time, crowd)
		for j, c := range clients {
			wg.Go(func() {
				starts[j] = time.Now()
				if _, err := rs.RemoveParticipant(ctx, &livekit.RoomParticipantIdentity{Room: room, Identity: c.room.LocalParticipant.Identity()}); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		for j, c := range clients {
			c.waitDisconnected(b)
			baseline = append(baseline, c.removedAt.Sub(starts[j]))
		}

		// A crowd whose tokens were revoked joins: webhook to removal.
		revokedRoom := room + "-revoked"
		e.createRoom(b, revokedRoom, "conference", 0)
		tokens := e.crowdTokens(b, revokedRoom, "r")
		e.mustAPI(b, http.StatusCreated, "POST", "/v1/revocations", "", map[string]any{"room": revokedRoom}, nil)
		for _, c := range e.joinAll(b, tokens) {
			c.waitDisconnected(b)
			if c.room == nil {
				// Removed while it was still joining: the client only
				// notices at its connect timeout; stagedoor logs when
				// LiveKit took the removal.
				refusedJoins++
				c.removedAt = e.removalLogged(b, revokedRoom, c.identity, time.Time{})
			}
			revoked = append(revoked, c.removedAt.Sub(e.trigger(b, revokedRoom, c, time.Time{})))
		}

		// A crowd kicked with block rejoins with its old tokens: webhook
		// to removal.
		rejoined = append(rejoined, e.rejoinBlocked(b, room+"-blocked", &refusedJoins)...)

		// A connected crowd is revoked at once: revocation to removal.
		live := e.crowdIn(b, room+"-live", "l")
		at := time.Now()
		e.mustAPI(b, http.StatusCreated, "POST", "/v1/revocations", "", map[string]any{"room": room + "-live"}, nil)
		for _, c := range live.clients {
			if r := c.waitDisconnected(b); r != lksdk.ParticipantRemoved {
				b.Fatalf("%s sent away for %v", c.identity, r)
			}
			cut = append(cut, c.removedAt.Sub(at))
		}
	}
	report := func(name string, d []time.Duration) (p50, p99 float64) {
		p50, p99 = percentile(d, 50), percentile(d, 99)
		b.ReportMetric(p50, name+"-p50-ms")
		b.ReportMetric(p99, name+"-p99-ms")
		return p50, p99
	}
	b50, b99 := report("baseline", baseline)
	r50, r99 := report("revoked", revoked)
	j50, j99 := report("rejoined", rejoined)
	c50, c99 := report("revoked-live", cut)
	report("mirrored", mirrored)
	b.ReportMetric(r50/b50, "revoked/baseline-p50")
	b.ReportMetric(r99/b99, "revoked/baseline-p99")
	b.ReportMetric(j50/b50, "rejoined/baseline-p50")
	b.ReportMetric(j99/b99, "rejoined/baseline-p99")
	b.ReportMetric(c50/b50, "revoked-live/baseline-p50")
	b.ReportMetric(c99/b99, "revoked-live/baseline-p99")
	b.ReportMetric(float64(refusedJoins)/float64(len(revoked)+len(rejoined)), "refused-while-joining/removed")
}

// rejoinBlocked has a crowd join room, kicks each with block through
// stagedoor, and has them all join again at once with their old tokens.
// It returns, for each, the time from the webhook of its rejoin to its
// removal, and counts in refused those removed while still joining.
func (e *environment) rejoinBlocked(b *testing.B, room string, refused *int) []time.Duration {
	b.Helper()
	first := e.crowdIn(b, room, "k")
	for _, id := range first.sessions {
		e.mustAPI(b, http.StatusOK, "DELETE", "/v1/rooms/"+room+"/sessions/"+id+"?block=true", "", nil, nil)
	}
	for _, c := range first.clients {
		if r := c.waitDisconnected(b); r != lksdk.ParticipantRemoved {
			b.Fatalf("%s sent away for %v", c.identity, r)
		}
		e.eventually(b, "the kick of "+c.identity+" logged", func() bool {
			_, ok := e.loggedRemoval(room, c.identity, time.Time{})
			return ok
		})
	}
	kicked := time.Now()
	var out []time.Duration
	for _, c := range e.joinAll(b, first.tokens) {
		c.waitDisconnected(b)
		if c.room == nil {
			*refused++
			c.removedAt = e.removalLogged(b, room, c.identity, kicked)
		}
		out = append(out, c.removedAt.Sub(e.trigger(b, room, c, kicked)))
	}
	return out
}

// trigger is when the webhook that made stagedoor act on c, of those
// after since, arrived: its participant_joined, or, for a participant
// stagedoor found in LiveKit's list before that webhook came (reading the
// room when room_started arrived), the room's room_started.
func (e *environment) trigger(b *testing.B, room string, c *client, since time.Time) time.Time {
	b.Helper()
	if at, ok := e.hooks.after("participant_joined", room, c.identity, since); ok && at.Before(c.removedAt) {
		return at
	}
	at, ok := e.hooks.after("room_started", room, "", since)
	if !ok {
		b.Fatalf("no webhook about %s in %s", c.identity, room)
	}
	return at
}

// removalLogged is when stagedoor first logged, after since, that LiveKit
// took its removal of identity from room.
func (e *environment) removalLogged(b *testing.B, room, identity string, since time.Time) time.Time {
	b.Helper()
	at, ok := e.loggedRemoval(room, identity, since)
	if !ok {
		b.Fatalf("stagedoor did not log removing %s from %s", identity, room)
	}
	return at
}

// loggedRemoval is removalLogged, false when there is no such line yet.
func (e *environment) loggedRemoval(room, identity string, since time.Time) (time.Time, bool) {
	for _, r := range e.removalsLogged(room, identity) {
		if r.Time.After(since) {
			return r.Time, true
		}
	}
	return time.Time{}, false
}

// crowdJoin is a crowd joined to a room and mirrored by stagedoor: the
// clients, their tokens, and by identity each session and when its
// session.joined event came.
type crowdJoin struct {
	clients    []*client
	tokens     []string
	sessions   map[string]string
	mirroredAt map[string]time.Time
}

// crowdIn creates room, has a crowd (user ids prefix00, prefix01, ...)
// join it at once, and waits until stagedoor has mirrored each.
func (e *environment) crowdIn(b *testing.B, room, prefix string) crowdJoin {
	b.Helper()
	e.createRoom(b, room, "conference", 0)
	ev := e.follow(b, room)
	j := crowdJoin{tokens: e.crowdTokens(b, room, prefix), sessions: map[string]string{}, mirroredAt: map[string]time.Time{}}
	j.clients = e.joinAll(b, j.tokens)
	for _, c := range j.clients {
		if c.room == nil {
			b.Fatalf("%s could not join", c.identity)
		}
	}
	for len(j.sessions) < crowd {
		x := ev.next(b, fmt.Sprintf("the crowd in %s mirrored (%d of %d)", room, len(j.sessions), crowd), func(x event) bool { return x.Type == "session.joined" })
		j.sessions[x.participant()], j.mirroredAt[x.participant()] = x.SessionID, time.Now()
	}
	return j
}

// crowdTokens mints a LiveKit token for each of crowd users in room.
func (e *environment) crowdTokens(b *testing.B, room, prefix string) []string {
	b.Helper()
	out := make([]string, crowd)
	for i := range out {
		out[i] = e.liveKitToken(b, map[string]any{"user_id": fmt.Sprintf("%s%02d", prefix, i), "role": "guest", "rooms": []string{room}}).AccessToken
	}
	return out
}

// joinAll connects a client per token, all at once. A client whose join
// failed has no room; it counts as disconnected.
func (e *environment) joinAll(b *testing.B, tokens []string) []*client {
	b.Helper()
	out := make([]*client, len(tokens))
	var wg sync.WaitGroup
	for i, tok := range tokens {
		wg.Go(func() {
			c, err := e.connect(b, tok)
			if err != nil {
				c = &client{identity: identityOf(b, tok), disconnected: make(chan lksdk.DisconnectionReason, 1)}
				close(c.disconnected)
			}
			out[i] = c
		})
	}
	wg.Wait()
	return out
}

// identityOf is the participant identity of a LiveKit token.
func identityOf(b *testing.B, tok string) string {
	b.Helper()
	v, err := auth.ParseAPIToken(tok)
	if err != nil {
		b.Fatal(err)
	}
	return v.Identity()
}

// percentile is the p-th percentile of d in milliseconds.
func percentile(d []time.Duration, p int) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return float64(s[max(i-1, 0)].Microseconds()) / 1000
}
