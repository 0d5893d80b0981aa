package client_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/client"
)

// refusal is a call and the problem the server must answer it with.
type refusal struct {
	name   string
	call   func(context.Context) error
	status int
	code   string
	field  string
}

// Every call answers bad input with the server's problem as an *Error,
// usable with errors.As.
func TestEveryCallRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	bc, anon := backend(t), newClient(t, server.url)
	room := newRoom(t, client.RoomRequest{})
	hostTok := mint(t, client.TokenRequest{UserID: "hana", Role: "host", Rooms: []string{room}})
	host := user(t, server.url, hostTok)
	anywhere := user(t, server.url, mint(t, client.TokenRequest{UserID: "hugo", Role: "host"}))
	viewer := user(t, server.url, mint(t, client.TokenRequest{UserID: "vic", Role: "viewer", Rooms: []string{room}}))
	hs, err := host.Join(ctx, room)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := viewer.Join(ctx, room)
	if err != nil {
		t.Fatal(err)
	}
	const nobody = "ses_nobody"
	for _, c := range []refusal{
		{"CreateToken with an unknown role", func(ctx context.Context) error {
			_, err := bc.CreateToken(ctx, client.TokenRequest{UserID: "u", Role: "nobody"})
			return err
		}, 400, "invalid_request", "role"},
		{"CreateToken with no user", func(ctx context.Context) error {
			_, err := bc.CreateToken(ctx, client.TokenRequest{Role: "viewer"})
			return err
		}, 400, "invalid_request", "user_id"},
		{"CreateToken without a key", func(ctx context.Context) error {
			_, err := anon.CreateToken(ctx, client.TokenRequest{UserID: "u", Role: "viewer"})
			return err
		}, 401, "invalid_client", ""},
		{"CreateToken with a token", func(ctx context.Context) error {
			_, err := host.CreateToken(ctx, client.TokenRequest{UserID: "u", Role: "viewer"})
			return err
		}, 401, "invalid_client", ""},
		{"CreateGuest without a name", func(ctx context.Context) error {
			_, err := bc.CreateGuest(ctx, client.GuestRequest{})
			return err
		}, 400, "invalid_request", "name"},
		{"CreateGuest by a viewer", func(ctx context.Context) error {
			_, err := viewer.CreateGuest(ctx, client.GuestRequest{Name: "Gus"})
			return err
		}, 403, "missing_permission", ""},
		{"RefreshToken unknown", func(ctx context.Context) error {
			_, err := anon.RefreshToken(ctx, "no-such-refresh-token")
			return err
		}, 400, "invalid_grant", ""},
		{"RefreshToken empty", func(ctx context.Context) error {
			_, err := anon.RefreshToken(ctx, "")
			return err
		}, 400, "invalid_request", "refresh_token"},
		{"Verify a token that is none", func(ctx context.Context) error {
			_, err := anon.Verify(ctx, "garbage", client.VerifyRequest{Permission: "consume"})
			return err
		}, 401, "malformed", ""},
		{"Verify an unknown permission", func(ctx context.Context) error {
			_, err := anon.Verify(ctx, hostTok.AccessToken, client.VerifyRequest{Permission: "fly"})
			return err
		}, 400, "invalid_request", "permission"},
		{"Introspect nothing", func(ctx context.Context) error {
			_, err := bc.Introspect(ctx, "")
			return err
		}, 400, "invalid_request", "token"},
		{"Introspect without a key", func(ctx context.Context) error {
			_, err := anon.Introspect(ctx, hostTok.AccessToken)
			return err
		}, 401, "invalid_client", ""},
		{"Revoke nothing", func(ctx context.Context) error {
			_, err := bc.Revoke(ctx, client.RevokeRequest{})
			return err
		}, 400, "invalid_request", "body"},
		{"Revocations beyond a page", func(ctx context.Context) error {
			_, err := bc.Revocations(ctx, 0, 5000)
			return err
		}, 400, "invalid_request", "limit"},
		{"Revocations before the start", func(ctx context.Context) error {
			_, err := bc.Revocations(ctx, -1, 0)
			return err
		}, 400, "invalid_request", "after"},
		{"SetSessionPolicy unknown", func(ctx context.Context) error {
			return bc.SetSessionPolicy(ctx, "forever")
		}, 400, "invalid_request", "policy"},
		{"CreateRoom of an unknown type", func(ctx context.Context) error {
			_, err := bc.CreateRoom(ctx, client.RoomRequest{Name: unique("room"), Type: "stadium"})
			return err
		}, 400, "invalid_request", "type"},
		{"CreateRoom that exists", func(ctx context.Context) error {
			_, err := bc.CreateRoom(ctx, client.RoomRequest{Name: room})
			return err
		}, 409, "room_exists", ""},
		{"CreateRoom by a viewer", func(ctx context.Context) error {
			_, err := viewer.CreateRoom(ctx, client.RoomRequest{Name: room})
			return err
		}, 403, "missing_permission", ""},
		{"Room unknown", func(ctx context.Context) error {
			_, err := bc.Room(ctx, "no-such-room")
			return err
		}, 404, "not_found", ""},
		{"EndRoom unknown", func(ctx context.Context) error {
			return bc.EndRoom(ctx, "no-such-room")
		}, 404, "not_found", ""},
		{"Join an unknown room", func(ctx context.Context) error {
			_, err := anywhere.Join(ctx, "no-such-room")
			return err
		}, 404, "not_found", ""},
		{"Join another room", func(ctx context.Context) error {
			_, err := host.Join(ctx, "elsewhere")
			return err
		}, 403, "room_mismatch", ""},
		{"Join with an API key", func(ctx context.Context) error {
			_, err := bc.Join(ctx, room)
			return err
		}, 401, "invalid_token", ""},
		{"JoinRoom an unknown room", func(ctx context.Context) error {
			_, err := anywhere.JoinRoom(ctx, "no-such-room")
			return err
		}, 404, "not_found", ""},
		{"Heartbeat an unknown session", func(ctx context.Context) error {
			_, err := host.Heartbeat(ctx, room, nobody)
			return err
		}, 404, "not_found", ""},
		{"Leave another's session", func(ctx context.Context) error {
			_, err := viewer.Leave(ctx, room, hs.SessionID)
			return err
		}, 403, "participant_mismatch", ""},
		{"Produce no source", func(ctx context.Context) error {
			_, err := host.Produce(ctx, room, hs.SessionID, "")
			return err
		}, 400, "invalid_request", "source"},
		{"Produce without the permission", func(ctx context.Context) error {
			_, err := viewer.Produce(ctx, room, vs.SessionID, "camera")
			return err
		}, 403, "missing_permission", ""},
		{"Unproduce an unknown session", func(ctx context.Context) error {
			_, err := host.Unproduce(ctx, room, nobody, "camera")
			return err
		}, 404, "not_found", ""},
		{"SessionToken of an unknown session", func(ctx context.Context) error {
			_, err := host.SessionToken(ctx, room, nobody)
			return err
		}, 404, "not_found", ""},
		{"RequestPermission unknown", func(ctx context.Context) error {
			_, err := viewer.RequestPermission(ctx, room, vs.SessionID, "fly")
			return err
		}, 400, "invalid_request", "permission"},
		{"GrantRequest unknown", func(ctx context.Context) error {
			_, err := host.GrantRequest(ctx, room, vs.SessionID, "req_nobody")
			return err
		}, 404, "not_found", ""},
		{"DenyRequest unknown", func(ctx context.Context) error {
			_, err := host.DenyRequest(ctx, room, vs.SessionID, "req_nobody")
			return err
		}, 404, "not_found", ""},
		{"Admit a joined session", func(ctx context.Context) error {
			_, err := host.Admit(ctx, room, vs.SessionID)
			return err
		}, 409, "not_waiting", ""},
		{"Reject a joined session", func(ctx context.Context) error {
			_, err := host.Reject(ctx, room, vs.SessionID)
			return err
		}, 409, "not_waiting", ""},
		{"UpdateSession with nothing", func(ctx context.Context) error {
			_, err := host.UpdateSession(ctx, room, vs.SessionID, client.SessionChange{})
			return err
		}, 400, "invalid_request", "body"},
		{"SetRole unknown", func(ctx context.Context) error {
			_, err := host.SetRole(ctx, room, vs.SessionID, "emperor")
			return err
		}, 400, "invalid_request", "role"},
		{"Mute by a viewer", func(ctx context.Context) error {
			_, err := viewer.Mute(ctx, room, hs.SessionID, "camera")
			return err
		}, 403, "missing_permission", ""},
		{"Kick an unknown session", func(ctx context.Context) error {
			_, err := host.Kick(ctx, room, nobody, true)
			return err
		}, 404, "not_found", ""},
		{"PollEvents waiting too long", func(ctx context.Context) error {
			_, err := bc.PollEvents(ctx, room, 0, time.Hour)
			return err
		}, 400, "invalid_request", "wait"},
		{"FollowEvents of an unknown room", func(ctx context.Context) error {
			return bc.FollowEvents(ctx, "no-such-room", 0, func(client.Event) error { return nil })
		}, 404, "not_found", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(ctx, within)
			defer cancel()
			err := c.call(ctx)
			var e *client.Error
			if !errors.As(err, &e) {
				t.Fatalf("%v (%T), want an *Error", err, err)
			}
			if e.Status != c.status || e.Code != c.code || e.Field != c.field || e.Type != "https://stagedoor.dev/problems/"+c.code ||
				e.Method == "" || !strings.HasPrefix(e.Path, "/v1/") || !strings.Contains(e.Error(), c.code) {
				t.Fatalf("got %d %s (field %q, type %q, %s %s): %v; want %d %s (field %q)", e.Status, e.Code, e.Field, e.Type, e.Method, e.Path, err, c.status, c.code, c.field)
			}
			if (e.Status == 401 || e.Status == 403) && e.Challenge == "" {
				t.Error("no WWW-Authenticate challenge")
			}
			if e.Temporary() {
				t.Error("a refusal of the request counted as temporary")
			}
		})
	}
}

// Names that could not address anything are refused before any request,
// with an error matching access.ErrInvalid.
func TestUnaddressableNamesSendNothing(t *testing.T) {
	ctx := context.Background()
	p := newProxy(t, server.url)
	c := newClient(t, p.url, client.WithAPIKey(server.prod.Key, server.prod.Secret))
	for _, bad := range []string{"", ".", "..", "a/b", strings.Repeat("x", 129), "bell\a"} {
		for name, call := range map[string]func() error{
			"Room":      func() error { _, err := c.Room(ctx, bad); return err },
			"EndRoom":   func() error { return c.EndRoom(ctx, bad) },
			"Join":      func() error { _, err := c.Join(ctx, bad); return err },
			"JoinRoom":  func() error { _, err := c.JoinRoom(ctx, bad); return err },
			"Heartbeat": func() error { _, err := c.Heartbeat(ctx, "r", bad); return err },
			"Leave":     func() error { _, err := c.Leave(ctx, bad, "s"); return err },
			"Produce":   func() error { _, err := c.Produce(ctx, "r", bad, "camera"); return err },
			"Kick":      func() error { _, err := c.Kick(ctx, "r", bad, false); return err },
			"Grant":     func() error { _, err := c.GrantRequest(ctx, "r", "s", bad); return err },
			"Token":     func() error { _, err := c.SessionToken(ctx, bad, "s"); return err },
			"Poll":      func() error { _, err := c.PollEvents(ctx, bad, 0, 0); return err },
			"Follow":    func() error { return c.FollowEvents(ctx, bad, 0, func(client.Event) error { return nil }) },
		} {
			if err := call(); !errors.Is(err, access.ErrInvalid) {
				t.Errorf("%s(%q): %v", name, bad, err)
			}
		}
	}
	if n := p.total(); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

// A name with characters a URL path escapes reaches the server intact.
func TestNamesAreEscaped(t *testing.T) {
	ctx := context.Background()
	name := unique("stand up? #1 %2F ünï")
	bc := backend(t)
	if _, err := bc.CreateRoom(ctx, client.RoomRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	v, err := bc.Room(ctx, name)
	if err != nil || v.Name != name {
		t.Fatalf("room %q: %v", v.Name, err)
	}
	u := user(t, server.url, mint(t, client.TokenRequest{UserID: "esc", Role: "host", Rooms: []string{name}}))
	rs := join(t, u, name)
	if rs.Session().Room != name {
		t.Fatalf("joined %q", rs.Session().Room)
	}
}

// An answer that is not problem+json, such as a proxy's, is an *Error
// with its status and text, and counts as temporary when it is a 5xx.
func TestNonProblemAnswer(t *testing.T) {
	p := newProxy(t, server.url)
	p.fail("GET /v1/rooms/x", unavailable)
	_, err := newClient(t, p.url, client.WithAPIKey(server.prod.Key, server.prod.Secret)).Room(context.Background(), "x")
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 503 || e.Code != "" || e.Title != "Service Unavailable" || e.Detail != "backend unavailable" || !e.Temporary() {
		t.Fatalf("%#v", err)
	}
}

// Beyond the server's cap on one credential's streams, a long poll is
// refused with 429 and the Retry-After the server asks for, and a
// FollowEvents waits that long and tries again until a stream is free.
func TestTooManyStreams(t *testing.T) {
	room := newRoom(t, client.RoomRequest{})
	p, clock := newProxy(t, server.url), newFakeClock()
	bc := newClient(t, p.url, client.WithAPIKey(server.prod.Key, server.prod.Secret), client.WithClock(clock))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	opened := make(chan struct{}, streamsPerCredential+1)
	follow := func(ctx context.Context) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bc.FollowEvents(ctx, room, 0, func(e client.Event) error {
				if e.Type == client.EventRoomCreated {
					opened <- struct{}{}
				}
				return nil
			})
		}()
	}
	first, stopFirst := context.WithCancel(ctx)
	follow(first)
	for range streamsPerCredential - 1 {
		follow(ctx)
	}
	for range streamsPerCredential {
		await(t, opened, "stream")
	}
	_, err := bc.PollEvents(ctx, room, 0, 0)
	var e *client.Error
	if !errors.As(err, &e) || e.Status != http.StatusTooManyRequests || e.Code != "too_many_streams" || e.RetryAfter < time.Second || !e.Temporary() {
		t.Fatalf("one stream too many: %v", err)
	}
	events := "GET /v1/rooms/" + room + "/events"
	p.answered(t, events, http.StatusTooManyRequests) // the long poll's
	follow(ctx)
	p.answered(t, events, http.StatusTooManyRequests)
	if d := clock.nextWait(t); d < e.RetryAfter {
		t.Fatalf("tried again after %v, before the %v the server asked for", d, e.RetryAfter)
	}
	stopFirst()
	for {
		clock.Advance(time.Minute)
		select {
		case <-opened:
			return
		case <-clock.waits:
			// Back before the server let the first stream go: again.
		case <-time.After(within):
			t.Fatal("the stream that waited for a free one did not open")
		}
	}
}

// New refuses what cannot make a client.
func TestNewRefusesBadInput(t *testing.T) {
	for _, c := range []struct {
		url  string
		opts []client.Option
	}{
		{"", nil},
		{"127.0.0.1:7800", nil},
		{"ftp://host", nil},
		{"http://", nil},
		{"http://user:pass@host", nil},
		{"http://host/?a=b", nil},
		{"http://host/#frag", nil},
		{"http://host", []client.Option{client.WithAPIKey("key", "")}},
		{"http://host", []client.Option{client.WithAPIKey("", "secret")}},
		{"http://host", []client.Option{client.WithAPIKey("k", "s"), client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}))}},
		{"http://host", []client.Option{client.WithHTTPClient(nil)}},
		{"http://host", []client.Option{client.WithClock(nil)}},
		{"http://host", []client.Option{client.WithTimeout(0)}},
	} {
		if _, err := client.New(c.url, c.opts...); err == nil {
			t.Errorf("New(%q, %d options) succeeded", c.url, len(c.opts))
		}
	}
	if _, err := client.New("https://auth.example.com/stagedoor/"); err != nil {
		t.Errorf("a base URL with a path: %v", err)
	}
}
