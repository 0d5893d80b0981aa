package server

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
)

// guest posts to /v1/guests with an API key or, when key is nil, with the
// Bearer token inviter.
func (s *testServer) guest(t *testing.T, key *authority.NewKey, inviter string, body any) reply {
	t.Helper()
	return s.do(t, call{method: "POST", path: "/v1/guests", basic: key, bearer: inviter, body: body})
}

func TestGuestByAPIKey(t *testing.T) {
	s := newTestServer(t)
	r := s.guest(t, &s.prod, "", map[string]any{"name": "Gus", "image": "https://img.example/gus.png", "rooms": []string{"stage"}})
	if r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	u, _ := r.body["user"].(map[string]any)
	id, _ := u["id"].(string)
	if !strings.HasPrefix(id, "guest_") || len(id) <= len("guest_") || u["type"] != "guest" || u["name"] != "Gus" || u["image"] != "https://img.example/gus.png" {
		t.Fatalf("user = %v", r.body["user"])
	}
	if r.body["token_type"] != "Bearer" || r.body["expires_in"] != float64(600) {
		t.Fatalf("answer = %s", r.raw)
	}
	tok := r.body["access_token"].(string)
	_, c := claimsOf(t, tok)
	if c.Subject != id || c.User == nil || c.User.Type != "guest" || c.User.Name != "Gus" || c.Grants.Role != "guest" ||
		!slices.Equal(c.Grants.Rooms, []string{"stage"}) || c.Issuer != s.prod.APIKey {
		t.Fatalf("claims = %+v user %+v", c, c.User)
	}
	s.wantAllowed(t, tok, "stage", "produce.camera")
	wantProblem(t, s.verify(t, tok, "stage", "moderate.kick"), http.StatusForbidden, "missing_permission")

	// Every guest gets a fresh id; a role may be chosen.
	r2 := s.guest(t, &s.prod, "", map[string]any{"name": "Gus", "role": "viewer", "ttl_seconds": 120})
	if r2.status != http.StatusCreated || r2.body["expires_in"] != float64(120) {
		t.Fatalf("%d %s", r2.status, r2.raw)
	}
	u2, _ := r2.body["user"].(map[string]any)
	if u2["id"] == id {
		t.Fatal("two guests share an id")
	}
	if _, ok := u2["image"]; ok {
		t.Fatalf("image without one: %v", u2)
	}
	_, c2 := claimsOf(t, r2.body["access_token"].(string))
	if c2.Grants.Role != "viewer" || !slices.Equal(c2.Grants.Permissions, []string{"consume", "room.join"}) {
		t.Fatalf("grants = %+v", c2.Grants)
	}
}

func TestGuestByInvite(t *testing.T) {
	s := newTestServer(t)
	host := s.mint(t, &s.prod, map[string]any{"user_id": "hana", "role": "host", "rooms": []string{"stage"}})
	r := s.guest(t, nil, host, map[string]any{"name": "Gus", "role": "co-host"})
	if r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	u, _ := r.body["user"].(map[string]any)
	tok := r.body["access_token"].(string)
	_, c := claimsOf(t, tok)
	if c.Subject != u["id"] || c.User.Type != "guest" || c.Grants.Role != "co-host" || c.App != s.app || c.Issuer != s.prod.APIKey {
		t.Fatalf("claims = %+v", c)
	}
	// No rooms asked: the inviter's rooms.
	if !slices.Equal(c.Grants.Rooms, []string{"stage"}) {
		t.Fatalf("rooms = %v", c.Grants.Rooms)
	}
	s.wantAllowed(t, tok, "stage", "moderate.kick")
	// A media token never carries api.*, though the co-host role holds them.
	if slices.Contains(c.Grants.Permissions, "api.read") || slices.Contains(c.Grants.Permissions, "api.write") {
		t.Fatalf("guest media token holds api.*: %v", c.Grants.Permissions)
	}
	// A co-host may make a co-host, never a host.
	r = s.guest(t, nil, tok, map[string]any{"name": "Gwen", "role": "co-host"})
	if r.status != http.StatusCreated {
		t.Fatalf("co-host inviting a co-host: %d %s", r.status, r.raw)
	}
	wantProblem(t, s.guest(t, nil, tok, map[string]any{"name": "Gwen", "role": "host"}), http.StatusForbidden, "escalation")

	// An inviter holding invite but not moderate.kick, ranked as a guest.
	inviter := s.mint(t, &s.prod, map[string]any{"user_id": "ivy", "role": "guest", "permissions": []string{"invite"}, "rooms": []string{"stage", "lobby"}, "ttl_seconds": 300})
	ok := s.guest(t, nil, inviter, map[string]any{"name": "Gus", "rooms": []string{"lobby"}})
	if ok.status != http.StatusCreated || ok.body["expires_in"] != float64(300) {
		t.Fatalf("within the inviter's rights: %d %s", ok.status, ok.raw)
	}
	_, gc := claimsOf(t, ok.body["access_token"].(string))
	if gc.Grants.Role != "guest" || slices.Contains(gc.Grants.Permissions, "invite") || !slices.Equal(gc.Grants.Rooms, []string{"lobby"}) {
		t.Fatalf("guest grants = %+v", gc.Grants)
	}

	for _, tc := range []struct {
		name   string
		bearer string
		body   map[string]any
		status int
		code   string
	}{
		{"a permission the inviter lacks", inviter, map[string]any{"name": "Gus", "permissions": []string{"moderate.kick"}}, 403, "escalation"},
		{"a role above the inviter", inviter, map[string]any{"name": "Gus", "role": "host"}, 403, "escalation"},
		{"a room outside the inviter's", inviter, map[string]any{"name": "Gus", "rooms": []string{"backstage"}}, 403, "room_mismatch"},
		{"a longer life than the inviter's", inviter, map[string]any{"name": "Gus", "ttl_seconds": 301}, 400, "invalid_request"},
		{"an inviter without invite", s.mint(t, &s.prod, map[string]any{"user_id": "vic", "role": "viewer"}), map[string]any{"name": "Gus"}, 403, "missing_permission"},
		{"a development host", s.mint(t, &s.dev, map[string]any{"user_id": "dora", "role": "host"}), map[string]any{"name": "Gus"}, 403, "missing_permission"},
		{"no name", host, map[string]any{"rooms": []string{"stage"}}, 400, "invalid_request"},
		{"unknown field", host, map[string]any{"name": "Gus", "nick": "g"}, 400, "invalid_request"},
		{"unknown role", host, map[string]any{"name": "Gus", "role": "jester"}, 400, "invalid_request"},
		{"a forged inviter", flipSignature(host), map[string]any{"name": "Gus"}, 401, "bad_signature"},
		{"a garbage inviter", "garbage", map[string]any{"name": "Gus"}, 401, "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.nothingWritten(t, func() {
				r := s.guest(t, nil, tc.bearer, tc.body)
				wantProblem(t, r, tc.status, tc.code)
				if tc.code == "missing_permission" && r.body["missing_permission"] != "invite" {
					t.Fatalf("missing_permission = %v, want invite", r.body["missing_permission"])
				}
			})
		})
	}

	// The default life is capped by what the inviter has left.
	s.clock.Advance(100 * time.Second)
	r = s.guest(t, nil, inviter, map[string]any{"name": "Gus"})
	if r.status != http.StatusCreated || r.body["expires_in"] != float64(200) {
		t.Fatalf("after 100 s: %d %s", r.status, r.raw)
	}
	wantTime(t, r.body["expires_at"], s.clock.Now().Add(200*time.Second))
}

// An inviter whose token reaches its exp (still inside the verification
// leeway) has no life left to give.
func TestGuestByExpiringInviter(t *testing.T) {
	s := newTestServer(t)
	inviter := s.mint(t, &s.prod, map[string]any{"user_id": "hana", "role": "host", "ttl_seconds": 60})
	s.clock.Advance(60 * time.Second)
	s.nothingWritten(t, func() {
		r := s.guest(t, nil, inviter, map[string]any{"name": "Gus"})
		wantField(t, r, "ttl_seconds")
	})
	s.clock.Advance(31 * time.Second)
	wantProblem(t, s.guest(t, nil, inviter, map[string]any{"name": "Gus"}), http.StatusUnauthorized, "expired")
}

func TestGuestFailures(t *testing.T) {
	s := newTestServer(t)
	wrong := s.prod
	wrong.Secret += "x"
	revoked := s.newAPIKey(t, access.Production)
	if err := s.auth.RevokeAPIKey(context.Background(), authority.AsOperator("test"), revoked.APIKey); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		c      call
		status int
		code   string
		field  string
	}{
		{"no credentials", call{body: map[string]any{"name": "Gus"}}, 401, "invalid_client", ""},
		{"wrong secret", call{basic: &wrong, body: map[string]any{"name": "Gus"}}, 401, "invalid_client", ""},
		{"revoked key", call{basic: &revoked, body: map[string]any{"name": "Gus"}}, 401, "invalid_client", ""},
		{"no name", call{basic: &s.prod, body: map[string]any{"image": "x"}}, 400, "invalid_request", "name"},
		{"empty body", call{basic: &s.prod}, 400, "invalid_request", "name"},
		{"name too long", call{basic: &s.prod, body: map[string]any{"name": strings.Repeat("n", 257)}}, 400, "invalid_request", "name"},
		{"unknown permission", call{basic: &s.prod, body: map[string]any{"name": "Gus", "permissions": []string{"fly"}}}, 400, "invalid_request", "permissions"},
		{"unknown field", call{basic: &s.prod, body: map[string]any{"name": "Gus", "user_id": "gus"}}, 400, "invalid_request", "user_id"},
		{"development limit", call{basic: &s.dev, body: map[string]any{"name": "Gus", "permissions": []string{"invite"}}}, 403, "development_limit", ""},
		{"development ttl", call{basic: &s.dev, body: map[string]any{"name": "Gus", "ttl_seconds": 7200}}, 400, "invalid_request", "ttl_seconds"},
		{"malformed JSON", call{basic: &s.prod, body: `{"name":`}, 400, "invalid_request", "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.method, c.path = "POST", "/v1/guests"
			s.nothingWritten(t, func() {
				r := s.do(t, c)
				wantProblem(t, r, tc.status, tc.code)
				if r.body["field"] != nil || tc.field != "" {
					if r.body["field"] != tc.field {
						t.Fatalf("field = %v, want %q", r.body["field"], tc.field)
					}
				}
			})
		})
	}
}
