package revocation

import (
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/token"
)

func TestRevocationSet(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 500_000_000, time.UTC) // 10:00:00.5
	sec := at.Truncate(time.Second)
	claims := func(mod func(*token.Claims)) *token.Claims {
		c := &token.Claims{ID: "fam.j1", Issuer: "k1", Subject: "alice", App: "a1", IssuedAt: sec.Add(-time.Minute),
			Grants: token.Grants{Rooms: []string{"r1"}}}
		if mod != nil {
			mod(c)
		}
		return c
	}
	rows := []struct {
		name string
		rev  Revocation
		c    *token.Claims
		room string
		want bool
	}{
		{"token id", Revocation{App: "a1", Kind: TokenID, Value: "fam.j1"}, claims(nil), "", true},
		{"token id of another app", Revocation{App: "a2", Kind: TokenID, Value: "fam.j1"}, claims(nil), "", false},
		{"other token id", Revocation{App: "a1", Kind: TokenID, Value: "j2"}, claims(nil), "", false},
		{"api key", Revocation{Kind: APIKey, Value: "k1"}, claims(nil), "", true},
		{"refresh family", Revocation{App: "a1", Kind: RefreshFamily, Value: "fam"}, claims(nil), "", true},
		{"refresh family of another app", Revocation{App: "a2", Kind: RefreshFamily, Value: "fam"}, claims(nil), "", false},
		{"user, older token", Revocation{App: "a1", Kind: UserID, Value: "alice", CreatedAt: at}, claims(nil), "", true},
		{"user, same second", Revocation{App: "a1", Kind: UserID, Value: "alice", CreatedAt: at}, claims(func(c *token.Claims) { c.IssuedAt = sec }), "", true},
		{"user, next second", Revocation{App: "a1", Kind: UserID, Value: "alice", CreatedAt: at}, claims(func(c *token.Claims) { c.IssuedAt = sec.Add(time.Second) }), "", false},
		{"user of another app", Revocation{App: "a2", Kind: UserID, Value: "alice", CreatedAt: at}, claims(nil), "", false},
		{"other user", Revocation{App: "a1", Kind: UserID, Value: "bob", CreatedAt: at}, claims(nil), "", false},
		{"bound room", Revocation{App: "a1", Kind: Room, Value: "r1", CreatedAt: at}, claims(nil), "", true},
		{"unbound token used in room", Revocation{App: "a1", Kind: Room, Value: "r9", CreatedAt: at}, claims(func(c *token.Claims) { c.Grants.Rooms = nil }), "r9", true},
		{"unbound token in other room", Revocation{App: "a1", Kind: Room, Value: "r9", CreatedAt: at}, claims(func(c *token.Claims) { c.Grants.Rooms = nil }), "r1", false},
		{"issued before, older", Revocation{App: "a1", Kind: IssuedBefore, IssuedBefore: sec}, claims(nil), "", true},
		{"issued before is exclusive", Revocation{App: "a1", Kind: IssuedBefore, IssuedBefore: sec}, claims(func(c *token.Claims) { c.IssuedAt = sec }), "", false},
	}
	for _, row := range rows {
		s := NewSet()
		row.rev.Seq = 1
		s.Add(row.rev)
		if got := s.Revoked(row.c, row.room); got != row.want {
			t.Errorf("%s: revoked = %v, want %v", row.name, got, row.want)
		}
	}
	s := NewSet()
	s.Add(Revocation{Seq: 5, Kind: TokenID, Value: "x"})
	s.Add(Revocation{Seq: 5, Kind: TokenID, Value: "replayed"})
	if s.Cursor() != 5 || s.Revoked(&token.Claims{ID: "replayed"}, "") {
		t.Error("an entry at the cursor was applied twice")
	}
}

func TestRevocationSetPrune(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	s := NewSet()
	s.Add(
		Revocation{Seq: 1, Kind: TokenID, Value: "old", ExpiresAt: now.Add(-time.Second)},
		Revocation{Seq: 2, Kind: TokenID, Value: "live", ExpiresAt: now.Add(time.Hour)},
		Revocation{Seq: 3, App: "a", Kind: UserID, Value: "u", CreatedAt: now.Add(-time.Hour), ExpiresAt: now},
	)
	if n := s.Prune(now); n != 2 {
		t.Fatalf("pruned %d, want 2", n)
	}
	if s.Revoked(&token.Claims{ID: "old"}, "") || !s.Revoked(&token.Claims{ID: "live"}, "") {
		t.Error("prune removed the wrong token ids")
	}
	if s.Revoked(&token.Claims{ID: "x", App: "a", Subject: "u", IssuedAt: now.Add(-2 * time.Hour)}, "") {
		t.Error("an expired user revocation still matches")
	}
}

func TestFamilyTokenID(t *testing.T) {
	for _, c := range []struct{ jti, family string }{
		{FamilyTokenID("fam", "j1"), "fam"},
		{FamilyTokenID("fam", ""), "fam"},
		{"j1", ""},
		{".j1", ""},
	} {
		if got := FamilyOf(c.jti); got != c.family {
			t.Errorf("FamilyOf(%q) = %q, want %q", c.jti, got, c.family)
		}
	}
}

// The generation moves exactly when a token is revoked that was not
// before: every move has the event streams in use check their tokens again,
// and closes the channel Changed gave before it.
func TestRevocationSetGeneration(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	user := Revocation{App: "a1", Kind: UserID, Value: "alice", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	s := NewSet()
	own := user
	own.Seq = 0
	steps := []struct {
		name string
		add  []Revocation
		move bool
	}{
		{"nothing", nil, false},
		{"a new revocation", []Revocation{{Seq: 1, App: "a1", Kind: TokenID, Value: "j1"}}, true},
		{"a replayed one", []Revocation{{Seq: 1, App: "a1", Kind: TokenID, Value: "j1"}}, false},
		{"a replay of a new one", []Revocation{{Seq: 1, App: "a1", Kind: TokenID, Value: "j2"}}, false},
		{"one applied before it was numbered", []Revocation{own}, true},
		{"the same, numbered", []Revocation{func() Revocation { r := user; r.Seq = 2; return r }()}, false},
		{"the same token id again", []Revocation{{Seq: 3, App: "a1", Kind: TokenID, Value: "j1"}}, false},
		{"an older cut-off for the user", []Revocation{{Seq: 4, App: "a1", Kind: UserID, Value: "alice", CreatedAt: at.Add(-time.Minute)}}, false},
		{"a later cut-off for the user", []Revocation{{Seq: 5, App: "a1", Kind: UserID, Value: "alice", CreatedAt: at.Add(time.Minute)}}, true},
		{"a kind not known here", []Revocation{{Seq: 6, App: "a1", Kind: "tomorrow", Value: "v"}}, false},
		{"a page with one new entry", []Revocation{{Seq: 7, App: "a1", Kind: TokenID, Value: "j1"}, {Seq: 8, App: "a1", Kind: APIKey, Value: "k1"}}, true},
	}
	for _, step := range steps {
		g, changed := s.Changed()
		s.Add(step.add...)
		if moved := s.Generation() != g; moved != step.move {
			t.Errorf("%s: generation moved = %v, want %v", step.name, moved, step.move)
		}
		select {
		case <-changed:
			if !step.move {
				t.Errorf("%s: Changed's channel closed, yet the generation stayed", step.name)
			}
		default:
			if step.move {
				t.Errorf("%s: the generation moved, yet Changed's channel is open", step.name)
			}
		}
	}
	if s.Cursor() != 8 {
		t.Errorf("cursor %d, want 8", s.Cursor())
	}
}
