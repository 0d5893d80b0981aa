package token_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

func TestMintRejects(t *testing.T) {
	k := testKeys(t)
	for _, tc := range []struct {
		name   string
		key    *token.Key
		modify func(c *token.Claims)
		want   error
	}{
		{"public key", k.ed.Public(), func(*token.Claims) {}, token.ErrInvalidKey},
		{"nil key", nil, func(*token.Claims) {}, token.ErrInvalidKey},
		{"foreign issuer", k.hs, func(c *token.Claims) { c.Issuer = "other" }, token.ErrInvalidClaims},
		{"missing ID", k.hs, func(c *token.Claims) { c.ID = "" }, token.ErrInvalidClaims},
		{"missing IssuedAt", k.hs, func(c *token.Claims) { c.IssuedAt = time.Time{} }, token.ErrInvalidClaims},
		{"missing ExpiresAt", k.ed, func(c *token.Claims) { c.ExpiresAt = time.Time{} }, token.ErrInvalidClaims},
		{"exp before iat", k.ed, func(c *token.Claims) { c.ExpiresAt = c.IssuedAt.Add(-time.Second) }, token.ErrInvalidClaims},
		{"negative time", k.ed, func(c *token.Claims) { c.IssuedAt = time.Unix(-1, 0) }, token.ErrInvalidClaims},
		{"far future", k.ed, func(c *token.Claims) { c.ExpiresAt = time.Unix(1<<62, 0) }, token.ErrInvalidClaims},
		{"over 24h", k.hs, func(c *token.Claims) { c.ExpiresAt = c.IssuedAt.Add(access.MaxTTL + time.Second) }, token.ErrLifetimeTooLong},
		{"dev key over 1h", k.dev, func(c *token.Claims) { c.ExpiresAt = c.IssuedAt.Add(access.MaxTTLDevelopment + time.Second) }, token.ErrLifetimeTooLong},
		{"dev claim over 1h", k.ed, func(c *token.Claims) { c.Dev = true; c.ExpiresAt = c.IssuedAt.Add(2 * time.Hour) }, token.ErrLifetimeTooLong},
		{"empty rooms", k.hs, func(c *token.Claims) { c.Grants.Rooms = []string{} }, token.ErrInvalidClaims},
		{"duplicate room", k.hs, func(c *token.Claims) { c.Grants.Rooms = []string{"a", "a"} }, token.ErrInvalidClaims},
		{"duplicate permission", k.hs, func(c *token.Claims) { c.Grants.Permissions = []string{"consume", "room.join", "consume"} }, token.ErrInvalidClaims},
		{"misspelt permission", k.hs, func(c *token.Claims) { c.Grants.Permissions = []string{"produce.camrea"} }, token.ErrInvalidClaims},
		{"permission of another vocabulary", k.ed, func(c *token.Claims) { c.Grants.Permissions = []string{"allow_join", "room.join"} }, token.ErrInvalidClaims},
		{"permission in capitals", k.hs, func(c *token.Claims) { c.Grants.Permissions = []string{"Room.Join"} }, token.ErrInvalidClaims},
		{"role in capitals", k.hs, func(c *token.Claims) { c.Grants.Role = "HOST" }, token.ErrInvalidClaims},
		{"role with a space", k.ed, func(c *token.Claims) { c.Grants.Role = "no such role" }, token.ErrInvalidClaims},
		{"role too long", k.hs, func(c *token.Claims) { c.Grants.Role = strings.Repeat("r", access.MaxRoleNameLen+1) }, token.ErrInvalidClaims},
		{"empty permission", k.hs, func(c *token.Claims) { c.Grants.Permissions = []string{""} }, token.ErrInvalidClaims},
		{"bad user type", k.hs, func(c *token.Claims) { c.User.Type = "" }, token.ErrInvalidClaims},
		{"invalid UTF-8", k.hs, func(c *token.Claims) { c.Subject = "\xff" }, token.ErrInvalidClaims},
		{"bad metadata", k.hs, func(c *token.Claims) { c.User.Metadata = json.RawMessage(`{"a":1,"a":2}`) }, token.ErrInvalidClaims},
		{"metadata trailing data", k.hs, func(c *token.Claims) { c.User.Metadata = json.RawMessage(`1 2`) }, token.ErrInvalidClaims},
		{"empty metadata", k.hs, func(c *token.Claims) { c.User.Metadata = json.RawMessage{} }, token.ErrInvalidClaims},
		{"nil claims", k.hs, nil, token.ErrInvalidClaims},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sampleClaims()
			if tc.modify == nil {
				c = nil
			} else {
				tc.modify(c)
			}
			_, err := token.Mint(tc.key, c)
			wantErr(t, err, tc.want)
		})
	}
}

func TestMintNormalizes(t *testing.T) {
	k := testKeys(t)
	c := sampleClaims()
	c.Grants.Permissions = []string{"room.join", "consume"}
	c.User.Metadata = json.RawMessage(" {\"x\": [1, 2]}\n")
	c.User.Name = "Zoë \"Z\" <\u2028>\x01"
	c.IssuedAt = now.Add(900 * time.Millisecond)
	tok := mint(t, k.hs, c)
	if c.Grants.Permissions[0] != "room.join" {
		t.Fatal("Mint reordered the caller's permissions")
	}
	got, err := verify(verifier(k.set), tok)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Grants.Permissions, ",") != "consume,room.join" {
		t.Fatalf("permissions = %v, want sorted", got.Grants.Permissions)
	}
	if string(got.User.Metadata) != `{"x": [1, 2]}` {
		t.Fatalf("metadata = %s", got.User.Metadata)
	}
	if got.User.Name != c.User.Name {
		t.Fatalf("name = %q, want %q", got.User.Name, c.User.Name)
	}
	if !got.IssuedAt.Equal(now) {
		t.Fatalf("iat = %v, want whole seconds %v", got.IssuedAt, now)
	}
	if got.Issuer != k.hs.ID() {
		t.Fatalf("iss = %q, want the key id", got.Issuer)
	}
}

func TestMintMinimal(t *testing.T) {
	k := testKeys(t)
	c := &token.Claims{ID: "j", IssuedAt: now, ExpiresAt: now.Add(time.Minute)}
	tok := mint(t, k.ed, c)
	_, p, _ := segments(t, tok)
	raw, err := enc.DecodeString(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"exp":1800000060,"iat":1800000000,"jti":"j","grants":{}}`; string(raw) != want {
		t.Fatalf("claims = %s, want %s", raw, want)
	}
	got, err := verify(verifier(k.set), tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.User != nil || got.Grants.Rooms != nil || got.Grants.Permissions != nil {
		t.Fatalf("claims = %+v, want no user, rooms or permissions", got)
	}
}

// TestMetadataDepth pins MaxDepth as the nesting metadata may have: request
// decoders rely on it to refuse what Mint would.
func TestMetadataDepth(t *testing.T) {
	k := testKeys(t)
	nested := func(n int) json.RawMessage {
		return json.RawMessage(strings.Repeat("[", n) + strings.Repeat("]", n))
	}
	c := sampleClaims()
	c.User.Metadata = nested(token.MaxDepth)
	if _, err := verify(verifier(k.set), mint(t, k.hs, c)); err != nil {
		t.Fatalf("metadata %d deep: %v", token.MaxDepth, err)
	}
	c.User.Metadata = nested(token.MaxDepth + 1)
	_, err := token.Mint(k.hs, c)
	wantErr(t, err, token.ErrInvalidClaims)
}

// TestMintRoleNames pins what Mint can know of roles without a catalog:
// any built-in role, any name a custom role could have, or none.
func TestMintRoleNames(t *testing.T) {
	k := testKeys(t)
	names := []string{"", "stage-manager", "no-such-role", strings.Repeat("r", access.MaxRoleNameLen)}
	for _, r := range access.Builtin() {
		names = append(names, r.Name)
	}
	for _, name := range names {
		c := sampleClaims()
		c.Grants.Role = name
		got, err := verify(verifier(k.set), mint(t, k.hs, c))
		if err != nil || got.Grants.Role != name {
			t.Errorf("role %q: %v, %v", name, got, err)
		}
	}
}
