package client_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/stagedoor/stagedoor/client"
)

// endedOrRevoked checks the Err of a session whose token a revocation
// ended with it: the session ended for reason, or, when the server ended
// the event stream for the token before it showed the session's end, the
// token refused (401 revoked).
func endedOrRevoked(t testing.TB, err error, reason string) {
	t.Helper()
	var (
		ended *client.EndedError
		e     *client.Error
	)
	switch {
	case errors.As(err, &ended) && ended.Session.EndReason == reason:
	case errors.As(err, &e) && e.Status == http.StatusUnauthorized && e.Code == "revoked":
	default:
		t.Fatalf("want the session ended (%s) or its token revoked: %v", reason, err)
	}
}

// recorder collects the events a session passes on.
type recorder struct {
	mu     sync.Mutex
	events []client.Event
	seen   chan client.Event
}

func newRecorder() *recorder { return &recorder{seen: make(chan client.Event, 1000)} }

func (r *recorder) record(e client.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	r.seen <- e
}

// waitFor waits for an event of type typ about session (any, if empty).
func (r *recorder) waitFor(t testing.TB, typ, session string) client.Event {
	t.Helper()
	for {
		e := await(t, r.seen, typ+" event")
		if e.Type == typ && (session == "" || e.SessionID == session) {
			return e
		}
	}
}

// seqs lists the Seq of the events recorded.
func (r *recorder) seqs() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]int64, len(r.events))
	for i, e := range r.events {
		out[i] = e.Seq
	}
	return out
}

// allSeqs lists the Seq of every event the room keeps, as the API key
// reads them.
func allSeqs(t testing.TB, c *client.Client, room string) []int64 {
	t.Helper()
	var out []int64
	for after := int64(0); ; {
		page, err := c.PollEvents(context.Background(), room, after, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) == 0 {
			return out
		}
		for _, e := range page.Events {
			out = append(out, e.Seq)
		}
		after = page.Cursor
	}
}

// visit makes a user join room and leave it again, directly at the
// deployment's server: two events.
func visit(t testing.TB, d *deployment, room, userID string) {
	t.Helper()
	ctx := context.Background()
	tok, err := newClient(t, d.url, client.WithAPIKey(d.prod.Key, d.prod.Secret)).CreateToken(ctx, client.TokenRequest{UserID: userID, Role: "viewer", Rooms: []string{room}})
	if err != nil {
		t.Fatal(err)
	}
	u := user(t, d.url, tok)
	ses, err := u.Join(ctx, room)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Leave(ctx, room, ses.SessionID); err != nil {
		t.Fatal(err)
	}
}

// hostIn returns a client of a host of room.
func hostIn(t testing.TB, url, room, userID string, opts ...client.Option) *client.Client {
	t.Helper()
	return user(t, url, mint(t, client.TokenRequest{UserID: userID, Role: "host", Rooms: []string{room}}), opts...)
}

func join(t testing.TB, c *client.Client, room string, opts ...client.SessionOption) *client.RoomSession {
	t.Helper()
	rs, err := c.JoinRoom(context.Background(), room, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	return rs
}

// A participant holding only room.ask_join waits: JoinRoom returns once a
// moderator admits it, with the session joined.
func TestJoinRoomWaitsUntilAdmitted(t *testing.T) {
	p, clock := newProxy(t, server.url), newFakeClock()
	room := newRoom(t, client.RoomRequest{})
	kim := user(t, p.url, mint(t, client.TokenRequest{UserID: "kim", Role: "knocker", Rooms: []string{room}}), client.WithClock(clock))
	rec := newRecorder()
	joined := make(chan *client.RoomSession, 1)
	failed := make(chan error, 1)
	go func() {
		rs, err := kim.JoinRoom(context.Background(), room, client.OnEvent(rec.record))
		if err != nil {
			failed <- err
			return
		}
		joined <- rs
	}()
	waiting := rec.waitFor(t, client.EventSessionWaiting, "")
	// A waiting session keeps its lease too.
	clock.Advance(clock.nextWait(t))
	clock.nextWait(t)
	if n := p.count("POST /v1/rooms/" + room + "/sessions/" + waiting.SessionID + "/heartbeat"); n != 1 {
		t.Fatalf("%d heartbeats while waiting", n)
	}
	view, err := backend(t).Room(context.Background(), room)
	if err != nil {
		t.Fatal(err)
	}
	if len(view.Waiting) != 1 || view.Waiting[0].SessionID != waiting.SessionID || view.Waiting[0].State != client.StateWaiting {
		t.Fatalf("the room's waiting list: %+v", view.Waiting)
	}
	select {
	case rs := <-joined:
		t.Fatalf("JoinRoom returned %s before admission", rs.Session().State)
	case err := <-failed:
		t.Fatal(err)
	default:
	}
	if _, err := hostIn(t, server.url, room, "hana").Admit(context.Background(), room, waiting.SessionID); err != nil {
		t.Fatal(err)
	}
	select {
	case rs := <-joined:
		defer rs.Close()
		if s := rs.Session(); s.State != client.StateJoined || rs.ID() != waiting.SessionID || rs.Err() != nil {
			t.Fatalf("admitted session: %+v, err %v", s, rs.Err())
		}
		if _, err := rs.Produce(context.Background(), "camera"); err != nil {
			t.Fatalf("produce once admitted: %v", err)
		}
	case err := <-failed:
		t.Fatal(err)
	case <-time.After(within):
		t.Fatal("JoinRoom did not return after admission")
	}
}

// A rejected participant's JoinRoom fails with the session ended
// (rejected), and leaves nothing running.
func TestJoinRoomRejected(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	defer http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	room := newRoom(t, client.RoomRequest{})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	kim := user(t, server.url, mint(t, client.TokenRequest{UserID: "kim", Role: "knocker", Rooms: []string{room}}),
		client.WithHTTPClient(&http.Client{Transport: tr}))
	rec := newRecorder()
	failed := make(chan error, 1)
	go func() {
		rs, err := kim.JoinRoom(context.Background(), room, client.OnEvent(rec.record))
		if err == nil {
			rs.Close()
		}
		failed <- err
	}()
	waiting := rec.waitFor(t, client.EventSessionWaiting, "")
	if _, err := hostIn(t, server.url, room, "hana").Reject(context.Background(), room, waiting.SessionID); err != nil {
		t.Fatal(err)
	}
	var ended *client.EndedError
	if err := await(t, failed, "JoinRoom's answer"); !errors.As(err, &ended) || ended.Session.EndReason != "rejected" ||
		ended.Session.State != client.StateEnded || ended.Session.SessionID != waiting.SessionID {
		t.Fatalf("rejected: %v", err)
	}
}

// Giving up while waiting leaves the room.
func TestJoinRoomCanceledWhileWaiting(t *testing.T) {
	room := newRoom(t, client.RoomRequest{})
	kim := user(t, server.url, mint(t, client.TokenRequest{UserID: "kim", Role: "knocker", Rooms: []string{room}}))
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	failed := make(chan error, 1)
	go func() {
		_, err := kim.JoinRoom(ctx, room, client.OnEvent(rec.record))
		failed <- err
	}()
	waiting := rec.waitFor(t, client.EventSessionWaiting, "")
	cancel()
	if err := await(t, failed, "JoinRoom's answer"); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
	page, err := backend(t).PollEvents(context.Background(), room, waiting.Seq, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 || page.Events[0].Type != client.EventSessionEnded {
		t.Fatalf("after giving up: %+v", page.Events)
	}
	if d, err := page.Events[0].Decode(); err != nil || d.Reason != "left" {
		t.Fatalf("ended for %q (%v), want left", d.Reason, err)
	}
}

// A full room refuses joins and producers with 409 room_full.
func TestRoomFullAsSeenByTheClient(t *testing.T) {
	ctx := context.Background()
	small := newRoom(t, client.RoomRequest{MaxParticipants: 1})
	join(t, hostIn(t, server.url, small, "first"), small)
	_, err := hostIn(t, server.url, small, "second").JoinRoom(ctx, small)
	var e *client.Error
	if !errors.As(err, &e) || e.Status != http.StatusConflict || e.Code != "room_full" {
		t.Fatalf("join a full room: %v", err)
	}

	stage := newRoom(t, client.RoomRequest{MaxProducers: 1})
	a := join(t, hostIn(t, server.url, stage, "ann"), stage)
	b := join(t, hostIn(t, server.url, stage, "ben"), stage)
	if _, err := a.Produce(ctx, "camera"); err != nil {
		t.Fatal(err)
	}
	_, err = b.Produce(ctx, "microphone")
	if !errors.As(err, &e) || e.Status != http.StatusConflict || e.Code != "room_full" {
		t.Fatalf("produce in a full room: %v", err)
	}
	if _, err := a.Unproduce(ctx, "camera"); err != nil {
		t.Fatal(err)
	}
	if s, err := b.Produce(ctx, "microphone"); err != nil || !slices.Equal(s.Sources, []string{"microphone"}) || !slices.Equal(b.Session().Sources, s.Sources) {
		t.Fatalf("produce once the slot is free: %v %+v", err, s)
	}
}

// The events of a stream cut mid-answer, and of the time until the client
// is back, all arrive, in order, each once: the client resumes with
// Last-Event-ID after the last event it saw.
func TestEventsResumeAfterDroppedStream(t *testing.T) {
	p := newProxy(t, server.url)
	room := newRoom(t, client.RoomRequest{})
	c := hostIn(t, p.url, room, "hana", client.WithBackoff(client.Backoff{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond}))
	rec := newRecorder()
	rs := join(t, c, room, client.OnEvent(rec.record))
	rec.waitFor(t, client.EventSessionJoined, rs.ID())
	for i := range 3 {
		visit(t, server, room, "before-"+strconv.Itoa(i))
	}
	rec.waitFor(t, client.EventSessionEnded, "")
	last := allSeqs(t, backend(t), room)
	for !slices.Contains(rec.seqs(), last[len(last)-1]) {
		await(t, rec.seen, "event before the cut")
	}
	seenBefore := rec.seqs()

	streams := "GET /v1/rooms/" + room + "/events"
	g := p.hold(streams)
	if n := p.cutStreams(); n != 1 {
		t.Fatalf("%d streams cut, want 1", n)
	}
	await(t, g.arrived, "the client's new stream")
	for i := range 3 {
		visit(t, server, room, "during-"+strconv.Itoa(i))
	}
	p.release(streams, g)
	want := allSeqs(t, backend(t), room)
	for len(rec.seqs()) < len(want) {
		await(t, rec.seen, "event after the cut")
	}
	if got := rec.seqs(); !slices.Equal(got, want) {
		t.Fatalf("events seen %v, the room's %v", got, want)
	}
	resumes := p.lastEventIDs()
	if len(resumes) != 2 || resumes[0] != "" || resumes[1] != strconv.FormatInt(seenBefore[len(seenBefore)-1], 10) {
		t.Fatalf("streams opened with Last-Event-ID %q, want \"\" then %d", resumes, seenBefore[len(seenBefore)-1])
	}
	if rs.Err() != nil {
		t.Fatalf("the session ended: %v", rs.Err())
	}
}

// Close leaves the room and stops every goroutine of the session; the
// server shows the session ended, left.
func TestCloseLeavesNothingBehind(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	defer http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := client.WithHTTPClient(&http.Client{Transport: tr})
	ctx := context.Background()
	room := newRoom(t, client.RoomRequest{})
	rec := newRecorder()
	rs, err := hostIn(t, server.url, room, "hana", hc).JoinRoom(ctx, room, client.OnEvent(rec.record))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Produce(ctx, "screen"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, client.EventProduceStarted, rs.ID())
	if err := rs.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rs.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case <-rs.Done():
	default:
		t.Fatal("Done is open after Close")
	}
	if !errors.Is(rs.Err(), client.ErrClosed) || rs.Session().State != client.StateEnded || rs.Session().EndReason != "left" {
		t.Fatalf("after Close: %v %+v", rs.Err(), rs.Session())
	}
	bc := backend(t, hc)
	view, err := bc.Room(ctx, room)
	if err != nil {
		t.Fatal(err)
	}
	if len(view.Participants) != 0 || len(view.Producers) != 0 {
		t.Fatalf("the room after Close: %+v", view)
	}
	page, err := bc.PollEvents(ctx, room, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := page.Events[len(page.Events)-1]
	if d, err := last.Decode(); err != nil || last.Type != client.EventSessionEnded || last.SessionID != rs.ID() || d.Reason != "left" {
		t.Fatalf("the room's last event: %s %s %s (%v)", last.Type, last.SessionID, d.Reason, err)
	}
}

// Heartbeats come at a third of the server's lease, and the session's
// token is replaced a lease before it expires (the continuous policy
// would end the session with it).
func TestHeartbeatsAndTokenRenewal(t *testing.T) {
	p, clock := newProxy(t, server.url), newFakeClock()
	room := newRoom(t, client.RoomRequest{})
	c := user(t, p.url, mint(t, client.TokenRequest{UserID: "beat", Role: "guest", Rooms: []string{room}, TTLSeconds: 120}), client.WithClock(clock))
	rs := join(t, c, room)
	joined := rs.Session()
	lease := joined.LeaseUntil.Sub(joined.CreatedAt)
	if joined.TokenExpiresAt == nil {
		t.Fatal("the session's token is not watched: is the app's policy continuous?")
	}
	beat := "POST /v1/rooms/" + room + "/sessions/" + rs.ID() + "/heartbeat"
	renew := "POST /v1/rooms/" + room + "/sessions/" + rs.ID() + "/token"
	d := clock.nextWait(t)
	for i := 1; i <= 2; i++ {
		if d != lease/3 {
			t.Fatalf("heartbeat %d after %v, want a third of the %v lease", i, d, lease)
		}
		clock.Advance(d)
		// The next wait begins once the heartbeat is answered.
		d = clock.nextWait(t)
		if n := p.count(beat); n != i {
			t.Fatalf("%d heartbeats, want %d", n, i)
		}
	}
	if p.count(renew) != 0 {
		t.Fatal("the token was replaced long before it expires")
	}
	clock.Set(joined.TokenExpiresAt.Add(-lease))
	clock.nextWait(t)
	if p.count(renew) != 1 || p.count(beat) != 3 {
		t.Fatalf("a lease before the token expires: %d renewals, %d heartbeats", p.count(renew), p.count(beat))
	}
	if now := rs.Session(); now.TokenExpiresAt == nil || !now.TokenExpiresAt.After(*joined.TokenExpiresAt) || now.State != client.StateJoined {
		t.Fatalf("after the renewal the session runs on a token expiring %v, before %v", now.TokenExpiresAt, joined.TokenExpiresAt)
	}
}

// A revocation of the user ends the session: Done closes, Err says why
// (the session ended, revoked, or the token refused with 401), and the
// session's goroutines are gone, so no heartbeat follows.
func TestRevocationEndsSession(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	defer http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	p := newProxy(t, server.url)
	defer p.srv.Close()
	room := newRoom(t, client.RoomRequest{})
	gone := unique("gone")
	c := user(t, p.url, mint(t, client.TokenRequest{UserID: gone, Role: "guest", Rooms: []string{room}}),
		client.WithHTTPClient(&http.Client{Transport: tr}), client.WithBackoff(client.Backoff{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond}))
	rec := newRecorder()
	rs, err := c.JoinRoom(context.Background(), room, client.OnEvent(rec.record))
	if err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, client.EventSessionJoined, rs.ID())
	if _, err := backend(t).Revoke(context.Background(), client.RevokeRequest{UserID: gone}); err != nil {
		t.Fatal(err)
	}
	await(t, rs.Done(), "end of the session")
	endedOrRevoked(t, rs.Err(), "revoked")
	if err := rs.Close(); err != nil {
		t.Fatalf("Close of an ended session: %v", err)
	}
	if n := p.count("POST /v1/rooms/" + room + "/sessions/" + rs.ID() + "/leave"); n != 0 {
		t.Fatal("Close left a session the server had ended")
	}
}

// A server restart ends every stream and refuses connections for a while:
// the session tries again with backoff, resumes its events after the last
// it saw, loses and repeats none, and goes on.
func TestSessionSurvivesServerRestart(t *testing.T) {
	ctx := context.Background()
	d := ownDeployment(t)
	bc := newClient(t, d.url, client.WithAPIKey(d.prod.Key, d.prod.Secret))
	room := unique("room")
	if _, err := bc.CreateRoom(ctx, client.RoomRequest{Name: room}); err != nil {
		t.Fatal(err)
	}
	tok, err := bc.CreateToken(ctx, client.TokenRequest{UserID: "hana", Role: "host", Rooms: []string{room}})
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	c := user(t, d.url, tok, client.WithBackoff(client.Backoff{Initial: 10 * time.Millisecond, Max: 200 * time.Millisecond}))
	rs := join(t, c, room, client.OnEvent(rec.record))
	visit(t, d, room, "before")
	rec.waitFor(t, client.EventSessionEnded, "")

	addr := d.proc.Addr
	if err := d.proc.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := d.proc.Cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	if err := d.start(addr); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		visit(t, d, room, "after-"+strconv.Itoa(i))
	}
	want := allSeqs(t, bc, room)
	for len(rec.seqs()) < len(want) {
		await(t, rec.seen, "event after the restart")
	}
	if got := rec.seqs(); !slices.Equal(got, want) {
		t.Fatalf("events seen %v, the room's %v", got, want)
	}
	if rs.Err() != nil {
		t.Fatalf("the session ended: %v", rs.Err())
	}
	if err := rs.Close(); err != nil {
		t.Fatal(err)
	}
	if v, err := bc.Room(ctx, room); err != nil || len(v.Participants) != 0 {
		t.Fatalf("the room after Close: %+v %v", v, err)
	}
}

// EventsAfter starts the events after a cursor: the session sees nothing
// older.
func TestEventsAfter(t *testing.T) {
	room := newRoom(t, client.RoomRequest{})
	visit(t, server, room, "earlier")
	seqs := allSeqs(t, backend(t), room)
	cursor := seqs[len(seqs)-1]
	rec := newRecorder()
	rs := join(t, hostIn(t, server.url, room, "hana"), room, client.EventsAfter(cursor), client.OnEvent(rec.record))
	if first := await(t, rec.seen, "event"); first.Seq <= cursor || first.Type != client.EventSessionJoined || first.SessionID != rs.ID() {
		t.Fatalf("first event after %d: %d %s %s", cursor, first.Seq, first.Type, first.SessionID)
	}
}
