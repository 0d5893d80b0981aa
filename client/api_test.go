package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/client"
)

// A backend mints, introspects and revokes; the revocation shows in the
// feed, and the token is then inactive and refused.
func TestBackendTokenLifecycle(t *testing.T) {
	ctx := context.Background()
	bc := backend(t)
	alice := unique("alice")
	tok, err := bc.CreateToken(ctx, client.TokenRequest{UserID: alice, Role: "speaker", Rooms: []string{"r1"},
		Name: "Alice", Metadata: json.RawMessage(`{"team":"blue"}`), TTLSeconds: 300})
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 300 || tok.RefreshToken != "" || time.Until(tok.ExpiresAt) > 300*time.Second {
		t.Fatalf("token %+v", tok)
	}
	in, err := bc.Introspect(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if !in.Active || in.Subject != alice || in.Grants == nil || in.Grants.Role != "speaker" || !slices.Equal(in.Grants.Rooms, []string{"r1"}) ||
		in.User == nil || in.User.Name != "Alice" || string(in.User.Metadata) != `{"team":"blue"}` || in.ClientID != server.prod.Key ||
		!strings.Contains(in.Scope, "produce.microphone") {
		t.Fatalf("introspection %+v", in)
	}
	v, err := bc.Verify(ctx, tok.AccessToken, client.VerifyRequest{Room: "r1", Permission: "produce.microphone"})
	if err != nil || !v.Allowed || v.Subject != alice {
		t.Fatalf("verify: %+v %v", v, err)
	}
	before, err := bc.Revocations(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := bc.Revoke(ctx, client.RevokeRequest{UserID: alice})
	if err != nil || rev.Kind != "user_id" || rev.Value != alice {
		t.Fatalf("revoke: %+v %v", rev, err)
	}
	page, err := bc.Revocations(ctx, before.Cursor, 1)
	if err != nil || len(page.Revocations) != 1 || page.Revocations[0].Seq != rev.Seq || page.Cursor != rev.Seq {
		t.Fatalf("feed after %d: %+v %v", before.Cursor, page, err)
	}
	if in, err := bc.Introspect(ctx, tok.AccessToken); err != nil || in.Active || in.Subject != "" {
		t.Fatalf("revoked token introspected %+v %v", in, err)
	}
	var e *client.Error
	if _, err := bc.Verify(ctx, tok.AccessToken, client.VerifyRequest{Permission: "consume"}); !errors.As(err, &e) || e.Status != 401 || e.Code != "revoked" {
		t.Fatalf("revoked token verified: %v", err)
	}
	if err := bc.SetSessionPolicy(ctx, client.PolicyContinuous); err != nil {
		t.Fatal(err)
	}
}

// Guests come from an API key, or from a token holding invite, never
// beyond the inviter.
func TestGuests(t *testing.T) {
	ctx := context.Background()
	g, err := backend(t).CreateGuest(ctx, client.GuestRequest{Name: "Gus", Image: "https://example.com/gus.png", Rooms: []string{"lobby"}})
	if err != nil {
		t.Fatal(err)
	}
	if g.User == nil || !strings.HasPrefix(g.User.ID, "guest_") || g.User.Type != "guest" || g.User.Name != "Gus" || g.AccessToken == "" {
		t.Fatalf("guest %+v", g)
	}
	host := user(t, server.url, mint(t, client.TokenRequest{UserID: "inviter", Role: "host", Rooms: []string{"lobby"}}))
	invited, err := host.CreateGuest(ctx, client.GuestRequest{Name: "Ivy", Role: "listener"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := backend(t).Verify(ctx, invited.AccessToken, client.VerifyRequest{Room: "lobby", Permission: "consume"})
	if err != nil || v.Role != "listener" || !slices.Equal(v.Rooms, []string{"lobby"}) {
		t.Fatalf("invited guest: %+v %v", v, err)
	}
	var e *client.Error
	if _, err := host.CreateGuest(ctx, client.GuestRequest{Name: "Eve", Rooms: []string{"elsewhere"}}); !errors.As(err, &e) || e.Status != 403 {
		t.Fatalf("a guest beyond the inviter's rooms: %v", err)
	}
}

// A moderator mutes, changes roles, answers raised hands, kicks with a
// block and ends the room; the participant's session follows each change.
func TestModeration(t *testing.T) {
	ctx := context.Background()
	room := newRoom(t, client.RoomRequest{})
	mod := hostIn(t, server.url, room, "mona")
	rec := newRecorder()
	gus := user(t, server.url, mint(t, client.TokenRequest{UserID: "gus", Role: "guest", Rooms: []string{room}}))
	rs := join(t, gus, room, client.OnEvent(rec.record))
	id := rs.ID()
	if _, err := rs.Produce(ctx, "camera"); err != nil {
		t.Fatal(err)
	}
	if s, err := mod.Mute(ctx, room, id, "camera"); err != nil || len(s.Sources) != 0 {
		t.Fatalf("mute: %+v %v", s, err)
	}
	rec.waitFor(t, client.EventProduceStopped, id)
	if s := rs.Session(); len(s.Sources) != 0 {
		t.Fatalf("the muted session still produces %v", s.Sources)
	}
	if s, err := mod.SetRole(ctx, room, id, "listener"); err != nil || s.Role != "listener" || slices.Contains(s.Permissions, "produce.camera") {
		t.Fatalf("set role: %+v %v", s, err)
	}
	rec.waitFor(t, client.EventPermissionsChanged, id)
	if s := rs.Session(); s.Role != "listener" {
		t.Fatalf("the session's role after the change: %s", s.Role)
	}
	var e *client.Error
	if _, err := rs.Produce(ctx, "camera"); !errors.As(err, &e) || e.Status != 403 || e.Missing != "produce.camera" {
		t.Fatalf("a listener produces: %v", err)
	}
	hand, err := rs.RequestPermission(ctx, "produce.camera")
	if err != nil || hand.State != "pending" || hand.SessionID != id {
		t.Fatalf("raise hand: %+v %v", hand, err)
	}
	created := rec.waitFor(t, client.EventRequestCreated, id)
	if d, err := created.Decode(); err != nil || d.Request == nil || d.Request.ID != hand.ID || d.Session == nil {
		t.Fatalf("request.created carries %+v (%v)", d, err)
	}
	granted, err := mod.GrantRequest(ctx, room, id, hand.ID)
	if err != nil || granted.Request.State != "granted" || !slices.Contains(granted.Session.Permissions, "produce.camera") {
		t.Fatalf("grant: %+v %v", granted, err)
	}
	if _, err := rs.Produce(ctx, "camera"); err != nil {
		t.Fatalf("produce once granted: %v", err)
	}
	hand, err = rs.RequestPermission(ctx, "produce.screen")
	if err != nil {
		t.Fatal(err)
	}
	if denied, err := mod.DenyRequest(ctx, room, id, hand.ID); err != nil || denied.Request.State != "denied" {
		t.Fatalf("deny: %+v %v", denied, err)
	}
	tok, err := gus.SessionToken(ctx, room, id)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := backend(t).Verify(ctx, tok.AccessToken, client.VerifyRequest{Room: room, Permission: "produce.camera"}); err != nil || v.Role != "listener" {
		t.Fatalf("the session's token: %+v %v", v, err)
	}

	if s, err := mod.Kick(ctx, room, id, true); err != nil || s.State != client.StateEnded || s.EndReason != "kicked" {
		t.Fatalf("kick: %+v %v", s, err)
	}
	await(t, rs.Done(), "end of the kicked session")
	var ended *client.EndedError
	if !errors.As(rs.Err(), &ended) || ended.Session.EndReason != "kicked" {
		t.Fatalf("kicked: %v", rs.Err())
	}
	if _, err := gus.JoinRoom(ctx, room); !errors.As(err, &e) || e.Status != 403 || e.Code != "blocked" {
		t.Fatalf("rejoin after a kick with block: %v", err)
	}

	ann := join(t, hostIn(t, server.url, room, "ann"), room)
	if err := backend(t).EndRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	await(t, ann.Done(), "end of the session in the ended room")
	endedOrRevoked(t, ann.Err(), "room_ended")
	if v, err := backend(t).Room(ctx, room); err != nil || v.EndedAt == nil {
		t.Fatalf("ended room: %+v %v", v, err)
	}
}
