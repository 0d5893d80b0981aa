package storagetest

import (
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// mustRefreshToken stores a token of family fam for app1 and key1, which
// must exist, expiring an hour after created.
func mustRefreshToken(t *testing.T, s storage.Storage, hash, fam string, created time.Time) storage.RefreshToken {
	t.Helper()
	tok := storage.RefreshToken{
		IDHash: []byte(hash), FamilyID: fam, AppID: "app1", APIKeyID: "key1", Subject: "user-1",
		Grants: []byte(`{"room":"r1"}`), CreatedAt: created, ExpiresAt: created.Add(time.Hour),
	}
	noErr(t, s.CreateRefreshToken(t.Context(), tok))
	return tok
}

// next is a successor to give RotateRefreshToken, created at created.
func next(hash string, created time.Time) storage.RefreshToken {
	return storage.RefreshToken{IDHash: []byte(hash), CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
}

// gone fails t unless every token of hashes is unknown.
func gone(t *testing.T, s storage.Storage, hashes ...string) {
	t.Helper()
	for _, h := range hashes {
		if tok, err := s.GetRefreshToken(t.Context(), []byte(h)); err == nil {
			t.Fatalf("refresh token %q is still stored: %+v", h, tok)
		} else {
			wantErr(t, err, storage.ErrNotFound)
		}
	}
}

// withKey returns a store holding app1 and its key key1.
func withKey(t *testing.T, open opener) storage.Storage {
	s := open(t)
	mustApp(t, s, "app1")
	mustAPIKey(t, s, "app1", "key1")
	return s
}

func testRefreshTokens(t *testing.T, open opener) {
	t.Run("CreateAndGet", func(t *testing.T) {
		s := withKey(t, open)
		tok := mustRefreshToken(t, s, "h1", "fam1", now())
		got, err := s.GetRefreshToken(t.Context(), []byte("h1"))
		noErr(t, err)
		same(t, got, tok)
	})
	t.Run("RoomsAreASet", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		tok := storage.RefreshToken{IDHash: []byte("h1"), FamilyID: "fam1", AppID: "app1", APIKeyID: "key1",
			Rooms: []string{"stage", "lobby", "stage"}, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		noErr(t, s.CreateRefreshToken(t.Context(), tok))
		got, err := s.GetRefreshToken(t.Context(), []byte("h1"))
		noErr(t, err)
		same(t, got.Rooms, []string{"lobby", "stage"})
	})
	t.Run("Rotate", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		tok := storage.RefreshToken{IDHash: []byte("h1"), FamilyID: "fam1", AppID: "app1", APIKeyID: "key1", Subject: "alice",
			Grants: []byte(`{"g":1}`), Rooms: []string{"stage"}, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		noErr(t, s.CreateRefreshToken(t.Context(), tok))
		used, err := s.RotateRefreshToken(t.Context(), []byte("h1"), next("h2", t0.Add(time.Minute)), t0.Add(time.Minute), nil)
		noErr(t, err)
		tok.UsedAt = t0.Add(time.Minute)
		same(t, used, tok)
		got, err := s.GetRefreshToken(t.Context(), []byte("h1"))
		noErr(t, err)
		same(t, got, tok)
		successor, err := s.GetRefreshToken(t.Context(), []byte("h2"))
		noErr(t, err)
		same(t, successor, storage.RefreshToken{IDHash: []byte("h2"), FamilyID: "fam1", AppID: "app1", APIKeyID: "key1", Subject: "alice",
			Grants: []byte(`{"g":1}`), Rooms: []string{"stage"}, CreatedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(time.Hour + time.Minute)})
	})
	t.Run("RotateTwiceIsReuse", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		tok := mustRefreshToken(t, s, "h1", "fam1", t0)
		_, err := s.RotateRefreshToken(t.Context(), []byte("h1"), next("h2", t0), t0.Add(time.Minute), nil)
		noErr(t, err)
		got, err := s.RotateRefreshToken(t.Context(), []byte("h1"), next("h3", t0), t0.Add(2*time.Minute), nil)
		wantErr(t, err, storage.ErrReused)
		tok.UsedAt = t0.Add(time.Minute)
		same(t, got, tok)
		gone(t, s, "h3")
	})
	t.Run("Expired", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		tok := mustRefreshToken(t, s, "h1", "fam1", t0)
		got, err := s.RotateRefreshToken(t.Context(), []byte("h1"), next("h2", t0), tok.ExpiresAt, nil)
		wantErr(t, err, storage.ErrExpired)
		same(t, got.FamilyID, "fam1")
		gone(t, s, "h2")
		_, err = s.RotateRefreshToken(t.Context(), []byte("h1"), next("h2", t0), t0, nil)
		noErr(t, err)
	})
	t.Run("Unknown", func(t *testing.T) {
		s := withKey(t, open)
		_, err := s.GetRefreshToken(t.Context(), []byte("nope"))
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.RotateRefreshToken(t.Context(), []byte("nope"), next("h2", now()), now(), nil)
		wantErr(t, err, storage.ErrNotFound)
		gone(t, s, "h2")
	})
	t.Run("SuccessorTakenChangesNothing", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		tok := mustRefreshToken(t, s, "h1", "fam1", t0)
		mustRefreshToken(t, s, "h2", "fam2", t0)
		_, err := s.RotateRefreshToken(t.Context(), []byte("h1"), next("h2", t0), t0, nil)
		wantErr(t, err, storage.ErrAlreadyExists)
		got, err := s.GetRefreshToken(t.Context(), []byte("h1"))
		noErr(t, err)
		same(t, got, tok)
		_, err = s.RotateRefreshToken(t.Context(), []byte("h1"), storage.RefreshToken{IDHash: []byte("h3")}, t0, nil)
		wantErr(t, err, storage.ErrInvalid)
		gone(t, s, "h3")
		_, err = s.RotateRefreshToken(t.Context(), []byte("h1"), next("h3", t0), t0, nil)
		noErr(t, err)
	})
	t.Run("RotateWritesItsAuditEntry", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		tok := mustRefreshToken(t, s, "h1", "fam1", t0)
		mints := func() int {
			t.Helper()
			entries, err := s.ListAudit(t.Context(), storage.AuditQuery{AppID: "app1", Action: "token.mint"})
			noErr(t, err)
			return len(entries)
		}
		entry := func() *storage.AuditEntry {
			return &storage.AuditEntry{Time: t0, Actor: "key:key1", Action: "token.mint", AppID: "app1", Target: "user-1"}
		}

		// An entry that cannot be written leaves the token unused.
		_, err := s.RotateRefreshToken(t.Context(), []byte("h1"), next("h2", t0), t0, &storage.AuditEntry{Action: "token.mint", AppID: "app1"})
		wantErr(t, err, storage.ErrInvalid)
		got, err := s.GetRefreshToken(t.Context(), []byte("h1"))
		noErr(t, err)
		same(t, got, tok)
		gone(t, s, "h2")
		same(t, mints(), 0)

		_, err = s.RotateRefreshToken(t.Context(), []byte("h1"), next("h2", t0), t0, entry())
		noErr(t, err)
		same(t, mints(), 1)

		// Refused rotations write nothing: reused, expired, unknown.
		_, err = s.RotateRefreshToken(t.Context(), []byte("h1"), next("h3", t0), t0, entry())
		wantErr(t, err, storage.ErrReused)
		_, err = s.RotateRefreshToken(t.Context(), []byte("h2"), next("h3", t0), t0.Add(2*time.Hour), entry())
		wantErr(t, err, storage.ErrExpired)
		_, err = s.RotateRefreshToken(t.Context(), []byte("nope"), next("h3", t0), t0, entry())
		wantErr(t, err, storage.ErrNotFound)
		gone(t, s, "h3")
		same(t, mints(), 1)
	})
	t.Run("Duplicate", func(t *testing.T) {
		s := withKey(t, open)
		tok := mustRefreshToken(t, s, "h1", "fam1", now())
		wantErr(t, s.CreateRefreshToken(t.Context(), tok), storage.ErrAlreadyExists)
	})
	t.Run("UnknownAppOrKey", func(t *testing.T) {
		s := withKey(t, open)
		mustApp(t, s, "app2")
		mustAPIKey(t, s, "app2", "key2")
		t0 := now()
		tok := storage.RefreshToken{IDHash: []byte("h1"), FamilyID: "fam1", AppID: "nope", APIKeyID: "key1", ExpiresAt: t0.Add(time.Hour)}
		wantErr(t, s.CreateRefreshToken(t.Context(), tok), storage.ErrNotFound)
		tok.AppID, tok.APIKeyID = "app1", "nope"
		wantErr(t, s.CreateRefreshToken(t.Context(), tok), storage.ErrNotFound)
		tok.APIKeyID = "key2"
		wantErr(t, s.CreateRefreshToken(t.Context(), tok), storage.ErrNotFound)
		gone(t, s, "h1")
	})
	t.Run("RevokedKey", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		_, err := s.RevokeAPIKey(t.Context(), "key1", t0, t0.Add(time.Hour), nil)
		noErr(t, err)
		tok := storage.RefreshToken{IDHash: []byte("h1"), FamilyID: "fam1", AppID: "app1", APIKeyID: "key1", ExpiresAt: t0.Add(time.Hour)}
		wantErr(t, s.CreateRefreshToken(t.Context(), tok), storage.ErrNotFound)
		gone(t, s, "h1")
	})
	t.Run("Invalid", func(t *testing.T) {
		s := withKey(t, open)
		wantErr(t, s.CreateRefreshToken(t.Context(), storage.RefreshToken{IDHash: []byte("h1"), FamilyID: "fam1", AppID: "app1", APIKeyID: "key1"}), storage.ErrInvalid)
		wantErr(t, s.CreateRefreshToken(t.Context(), storage.RefreshToken{FamilyID: "fam1", AppID: "app1", APIKeyID: "key1", ExpiresAt: now()}), storage.ErrInvalid)
	})
	t.Run("RevokeFamily", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		mustRefreshToken(t, s, "h1", "fam1", t0)
		_, err := s.RotateRefreshToken(t.Context(), []byte("h1"), next("h2", t0), t0, nil)
		noErr(t, err)
		mustRefreshToken(t, s, "h3", "fam2", t0)
		rev, err := s.RevokeRefreshFamily(t.Context(), "fam1", t0.Add(time.Minute), t0.Add(time.Hour), auditEntry("refresh.revoke", "app1", "fam1"))
		noErr(t, err)
		same(t, rev, storage.Revocation{
			Seq: rev.Seq, AppID: "app1", Kind: storage.RevocationRefreshFamily, Value: "fam1",
			IssuedBefore: t0.Add(time.Minute), CreatedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(time.Hour),
		})
		gone(t, s, "h1", "h2")
		_, err = s.RotateRefreshToken(t.Context(), []byte("h2"), next("h4", t0), t0, nil)
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.RotateRefreshToken(t.Context(), []byte("h3"), next("h4", t0), t0, nil)
		noErr(t, err)
		listed, err := s.ListRevocations(t.Context(), storage.RevocationQuery{})
		noErr(t, err)
		same(t, listed, []storage.Revocation{rev})
		same(t, auditActions(t, s, "app1"), []string{"refresh.revoke"})
	})
	t.Run("RevokeFamilyNotFound", func(t *testing.T) {
		s := withKey(t, open)
		_, err := s.RevokeRefreshFamily(t.Context(), "nope", now(), now().Add(time.Hour), auditEntry("refresh.revoke", "app1", "nope"))
		wantErr(t, err, storage.ErrNotFound)
		same(t, len(auditActions(t, s, "app1")), 0)
		listed, err := s.ListRevocations(t.Context(), storage.RevocationQuery{})
		noErr(t, err)
		same(t, len(listed), 0)
	})
	t.Run("Prune", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		old := storage.RefreshToken{IDHash: []byte("old"), FamilyID: "fam1", AppID: "app1", APIKeyID: "key1",
			Rooms: []string{"stage"}, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		noErr(t, s.CreateRefreshToken(t.Context(), old))
		mustRefreshToken(t, s, "new", "fam1", t0.Add(time.Minute))
		n, err := s.PruneRefreshTokens(t.Context(), t0.Add(time.Hour))
		noErr(t, err)
		same(t, n, 1)
		gone(t, s, "old")
		_, err = s.RotateRefreshToken(t.Context(), []byte("new"), next("newer", t0), t0, nil)
		noErr(t, err)
		// The pruned token's rooms went with it.
		mustRefreshToken(t, s, "old", "fam2", t0)
		got, err := s.GetRefreshToken(t.Context(), []byte("old"))
		noErr(t, err)
		same(t, len(got.Rooms), 0)
	})
	t.Run("RevocationsEndTokens", func(t *testing.T) { testRevocationsEndRefreshTokens(t, open) })
	t.Run("Races", func(t *testing.T) { testRefreshTokenRaces(t, open) })
}
