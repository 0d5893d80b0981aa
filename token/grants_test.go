package token_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

func sampleSpec() token.Spec {
	return token.Spec{
		Issuer: "api_key_prod", Kind: access.Production, Subject: "alice", Audience: access.AudienceRTC,
		ID: "tok_1", App: "app_1", IssuedAt: now.Add(700 * time.Millisecond), TTL: 10 * time.Minute,
		Grants: access.Grants{
			Role: access.Guest, Permissions: access.Of(access.RoomJoin, access.Consume, access.ProduceCamera),
			Rooms: []string{"stage"}, Participant: "alice-1", User: access.Authenticated,
		},
	}
}

func TestNewClaims(t *testing.T) {
	c := token.NewClaims(sampleSpec())
	want := &token.Claims{
		Issuer: "api_key_prod", Subject: "alice", Audience: access.AudienceRTC, ID: "tok_1", App: "app_1",
		IssuedAt: now, NotBefore: now, ExpiresAt: now.Add(10 * time.Minute),
		Grants: token.Grants{Role: "guest", Permissions: []string{"consume", "produce.camera", "room.join"},
			Rooms: []string{"stage"}, Participant: "alice-1"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("claims\n got %+v\nwant %+v", c, want)
	}

	for _, tc := range []struct {
		name   string
		modify func(s *token.Spec)
		user   *token.User
		dev    bool
	}{
		{"development key", func(s *token.Spec) { s.Kind = access.Development }, nil, true},
		{"service key", func(s *token.Spec) { s.Kind = access.Service }, nil, false},
		{"no user type", func(s *token.Spec) { s.Grants.User = "" }, nil, false},
		{"anonymous", func(s *token.Spec) { s.Grants.User = access.Anonymous }, &token.User{Type: access.Anonymous}, false},
		{"guest with a name", func(s *token.Spec) { s.Grants.User, s.Name = access.GuestUser, "Gus" },
			&token.User{Type: access.GuestUser, Name: "Gus"}, false},
		{"authenticated with an image", func(s *token.Spec) { s.Image = "https://example.com/a.png" },
			&token.User{Type: access.Authenticated, Image: "https://example.com/a.png"}, false},
		{"authenticated with metadata", func(s *token.Spec) { s.Metadata = json.RawMessage(`{"seat":4}`) },
			&token.User{Type: access.Authenticated, Metadata: json.RawMessage(`{"seat":4}`)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sampleSpec()
			tc.modify(&s)
			c := token.NewClaims(s)
			if !reflect.DeepEqual(c.User, tc.user) || c.Dev != tc.dev {
				t.Fatalf("user %+v dev %v, want %+v %v", c.User, c.Dev, tc.user, tc.dev)
			}
		})
	}
}

// TestGrantsRoundTrip carries grants through NewClaims, Mint, Verify and
// GrantsOf, and gets them back as they were.
func TestGrantsRoundTrip(t *testing.T) {
	k := testKeys(t)
	for _, user := range []access.UserType{access.Authenticated, access.GuestUser, access.Anonymous} {
		s := sampleSpec()
		s.Grants.User = user
		s.Grants.Rooms = nil
		got, err := verify(verifier(k.set), mint(t, k.ed, token.NewClaims(s)))
		if err != nil {
			t.Fatal(err)
		}
		g, err := token.GrantsOf(got)
		if err != nil || !reflect.DeepEqual(g, s.Grants) {
			t.Fatalf("%s: grants %+v, %v; want %+v", user, g, err, s.Grants)
		}
	}
}

func TestGrantsOfRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(c *token.Claims)
	}{
		{"permission outside the vocabulary", func(c *token.Claims) { c.Grants.Permissions = []string{"consume", "teleport"} }},
		{"misspelt permission", func(c *token.Claims) { c.Grants.Permissions = []string{"produce.camrea"} }},
		{"role that is no role name", func(c *token.Claims) { c.Grants.Role = "HOST" }},
		{"unknown user type", func(c *token.Claims) { c.User.Type = "robot" }},
		{"subject with a slash", func(c *token.Claims) { c.Subject = "a/b" }},
		{"participant with a bidi override", func(c *token.Claims) { c.Grants.Participant = "p\u202e1" }},
		{"room named ..", func(c *token.Claims) { c.Grants.Rooms = []string{"stage", ".."} }},
		{"the console's audience", func(c *token.Claims) { c.Audience = "admin" }},
		{"an audience spelt otherwise", func(c *token.Claims) { c.Audience = "RTC" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sampleClaims()
			tc.modify(c)
			g, err := token.GrantsOf(c)
			if !errors.Is(err, token.ErrMalformed) || !reflect.DeepEqual(g, access.Grants{}) {
				t.Fatalf("GrantsOf = %+v, %v; want malformed", g, err)
			}
		})
	}
	c := sampleClaims()
	c.User = nil
	g, err := token.GrantsOf(c)
	if err != nil || g.User != access.Authenticated || g.Permissions.Len() != len(c.Grants.Permissions) {
		t.Fatalf("GrantsOf = %+v, %v", g, err)
	}
}

// TestUserJSON pins that a User marshals to the user claim Mint writes.
func TestUserJSON(t *testing.T) {
	k := testKeys(t)
	for _, u := range []*token.User{
		sampleClaims().User,
		{Type: access.Anonymous},
		{Type: access.GuestUser, Name: "Gus \"G\" <\u2028>", Metadata: json.RawMessage(`[1,{"a":null}]`)},
	} {
		c := sampleClaims()
		c.User = u
		_, p, _ := segments(t, mint(t, k.hs, c))
		raw, err := enc.DecodeString(p)
		if err != nil {
			t.Fatal(err)
		}
		var claims map[string]json.RawMessage
		if err := json.Unmarshal(raw, &claims); err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		if json.Unmarshal(got, &a) != nil || json.Unmarshal(claims["user"], &b) != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("json.Marshal(%+v) = %s, the token's user claim is %s", u, got, claims["user"])
		}
	}
}
