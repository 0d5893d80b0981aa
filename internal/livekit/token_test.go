package livekit

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/token"
)

// parse verifies a LiveKit token as LiveKit does, with secret.
func parse(t *testing.T, raw, secret string) *auth.ClaimGrants {
	t.Helper()
	v, err := auth.ParseAPIToken(raw)
	if err != nil {
		t.Fatal(err)
	}
	_, g, err := v.Verify(secret)
	if err != nil {
		t.Fatalf("LiveKit's verifier refuses the token: %v", err)
	}
	return g
}

func TestIssueToken(t *testing.T) {
	f := newFixture(t)
	out, err := f.lk.IssueToken(t.Context(), authority.AsKey(f.key), authority.IssueRequest{
		UserID: "alice", Role: "host", Rooms: []string{"stage"}, Name: "Alice", Image: "https://img.example/a.png",
		Metadata: []byte(`{"team":"blue"}`), TTLSeconds: 300,
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.URL != "ws://127.0.0.1:9" {
		t.Fatalf("url %q", out.URL)
	}
	v, err := auth.ParseAPIToken(out.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	reg, g, err := v.Verify(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	c := out.Claims
	switch {
	case reg.Issuer != "lkkey" || reg.Subject != "alice" || reg.ID != c.ID:
		t.Fatalf("iss %q sub %q jti %q", reg.Issuer, reg.Subject, reg.ID)
	case !reg.NotBefore.Time.Equal(c.IssuedAt) || !reg.ExpiresAt.Time.Equal(c.ExpiresAt) || c.ExpiresAt.Sub(c.IssuedAt) != 300*time.Second:
		t.Fatalf("nbf %v exp %v, want %v and %v", reg.NotBefore, reg.ExpiresAt, c.IssuedAt, c.ExpiresAt)
	case g.Identity != "alice" || g.Name != "Alice" || g.Metadata != `{"team":"blue"}` || g.Attributes[AttrImage] != "https://img.example/a.png":
		t.Fatalf("grants %+v", g)
	case g.Video.Room != "stage" || !g.Video.RoomJoin || !g.Video.RoomAdmin || !g.Video.RoomCreate:
		t.Fatalf("video grant %+v", g.Video)
	}
	if _, _, err := v.Verify("another-secret-0123456789abcdef0123"); err == nil {
		t.Fatal("the token verifies with another secret")
	}

	p, _ := f.lk.projects.byApp(f.app)
	rc, err := p.openReceipt(t.Context(), g.Attributes[AttrGrant], time.Now())
	if err != nil {
		t.Fatalf("the grant receipt does not open: %v", err)
	}
	if rc.ID != c.ID || rc.Subject != "alice" || rc.Issuer != f.key.KeyID || rc.Grants.Role != "host" || rc.User != nil ||
		strings.Join(rc.Grants.Rooms, ",") != "stage" || strings.Join(rc.Grants.Permissions, ",") != strings.Join(c.Grants.Permissions, ",") {
		t.Fatalf("receipt %+v of %+v", rc, c)
	}
	if _, err := f.auth.Verify(t.Context(), g.Attributes[AttrGrant]); !errors.Is(err, token.ErrBadSignature) {
		t.Fatalf("stagedoor verifies the receipt as a token: %v", err)
	}
}

func TestGrantReceipt(t *testing.T) {
	f := newFixture(t)
	out, err := f.lk.IssueToken(t.Context(), authority.AsKey(f.key), authority.IssueRequest{UserType: "anonymous", Role: "viewer", Rooms: []string{"stage"}, TTLSeconds: 60})
	if err != nil {
		t.Fatal(err)
	}
	raw := parse(t, out.AccessToken, testSecret).Attributes[AttrGrant]
	p, _ := f.lk.projects.byApp(f.app)
	c, err := p.openReceipt(t.Context(), raw, out.Claims.IssuedAt)
	if err != nil {
		t.Fatal(err)
	}
	if c.User == nil || c.User.Type != access.Anonymous || c.Subject != access.AnonymousSubject {
		t.Fatalf("anonymous receipt %+v", c)
	}
	for _, tc := range []struct {
		name   string
		raw    string
		at     time.Time
		reason error
	}{
		{"joined after it expired", raw, out.ExpiresAt.Add(time.Minute), token.ErrExpired},
		{"joined before it was issued", raw, out.Claims.IssuedAt.Add(-time.Hour), token.ErrNotYetValid},
		{"tampered", raw[:len(raw)-2] + flip(raw[len(raw)-2:]), out.Claims.IssuedAt, token.ErrBadSignature},
		{"missing", "", out.Claims.IssuedAt, token.ErrMalformed},
		{"a stagedoor token", mustStagedoor(t, f), out.Claims.IssuedAt, token.ErrAlgorithmNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := p.openReceipt(t.Context(), tc.raw, tc.at); !errors.Is(err, tc.reason) {
				t.Fatalf("got %v, want %v", err, tc.reason)
			}
		})
	}
}

func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func mustStagedoor(t *testing.T, f *fixture) string {
	t.Helper()
	out, err := f.auth.IssueToken(t.Context(), authority.AsKey(f.key), authority.IssueRequest{UserID: "bob", Role: "viewer", Rooms: []string{"stage"}})
	if err != nil {
		t.Fatal(err)
	}
	return out.AccessToken
}

func TestTokenWithoutProject(t *testing.T) {
	f := newFixture(t)
	other, err := f.auth.CreateApp(t.Context(), authority.AsOperator("test"), "other")
	if err != nil {
		t.Fatal(err)
	}
	nk, err := f.auth.CreateAPIKey(t.Context(), authority.AsOperator("test"), other.ID, access.Production)
	if err != nil {
		t.Fatal(err)
	}
	caller, err := f.auth.Authenticate(nk.APIKey, nk.Secret)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.lk.IssueToken(t.Context(), authority.AsKey(caller), authority.IssueRequest{UserID: "a", Role: "guest", Rooms: []string{"stage"}})
	var inv *access.InvalidError
	if !errors.As(err, &inv) || inv.Field != "format" {
		t.Fatalf("got %v, want the format refused", err)
	}
	page, err := f.auth.Audit(t.Context(), authority.AuditQuery{AppID: other.ID, Limit: authority.MaxAuditPage})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range page.Entries {
		if e.Action == "token.mint" {
			t.Fatalf("a refused token was audited: %+v", e)
		}
	}
}
