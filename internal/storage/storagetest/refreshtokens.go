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

// withKey returns a store holding app1 and its key key1.
func withKey(t *testing.T, open opener) storage.Storage {
	s := open(t)
	mustApp(t, s, "app1")
	mustAPIKey(t, s, "app1", "key1")
	return s
}

func testRefreshTokens(t *testing.T, open opener) {
	t.Run("CreateAndUse", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		tok := mustRefreshToken(t, s, "h1", "fam1", t0)
		got, err := s.UseRefreshToken(t.Context(), []byte("h1"), t0.Add(time.Minute))
		noErr(t, err)
		tok.UsedAt = t0.Add(time.Minute)
		same(t, got, tok)
	})
	t.Run("UseTwiceIsReuse", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		tok := mustRefreshToken(t, s, "h1", "fam1", t0)
		_, err := s.UseRefreshToken(t.Context(), []byte("h1"), t0.Add(time.Minute))
		noErr(t, err)
		got, err := s.UseRefreshToken(t.Context(), []byte("h1"), t0.Add(2*time.Minute))
		wantErr(t, err, storage.ErrReused)
		tok.UsedAt = t0.Add(time.Minute)
		same(t, got, tok)
	})
	t.Run("Expired", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		tok := mustRefreshToken(t, s, "h1", "fam1", t0)
		got, err := s.UseRefreshToken(t.Context(), []byte("h1"), tok.ExpiresAt)
		wantErr(t, err, storage.ErrExpired)
		same(t, got.FamilyID, "fam1")
		_, err = s.UseRefreshToken(t.Context(), []byte("h1"), t0)
		noErr(t, err)
	})
	t.Run("Unknown", func(t *testing.T) {
		s := withKey(t, open)
		_, err := s.UseRefreshToken(t.Context(), []byte("nope"), now())
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("Duplicate", func(t *testing.T) {
		s := withKey(t, open)
		tok := mustRefreshToken(t, s, "h1", "fam1", now())
		wantErr(t, s.CreateRefreshToken(t.Context(), tok), storage.ErrAlreadyExists)
	})
	t.Run("UnknownAppOrKey", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		tok := storage.RefreshToken{IDHash: []byte("h1"), FamilyID: "fam1", AppID: "nope", APIKeyID: "key1", ExpiresAt: t0.Add(time.Hour)}
		wantErr(t, s.CreateRefreshToken(t.Context(), tok), storage.ErrNotFound)
		tok.AppID, tok.APIKeyID = "app1", "nope"
		wantErr(t, s.CreateRefreshToken(t.Context(), tok), storage.ErrNotFound)
		_, err := s.UseRefreshToken(t.Context(), []byte("h1"), t0)
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("Invalid", func(t *testing.T) {
		s := withKey(t, open)
		wantErr(t, s.CreateRefreshToken(t.Context(), storage.RefreshToken{IDHash: []byte("h1"), FamilyID: "fam1", AppID: "app1", APIKeyID: "key1"}), storage.ErrInvalid)
		wantErr(t, s.CreateRefreshToken(t.Context(), storage.RefreshToken{FamilyID: "fam1", AppID: "app1", APIKeyID: "key1", ExpiresAt: now()}), storage.ErrInvalid)
	})
	t.Run("ConcurrentUse", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		mustRefreshToken(t, s, "h1", "fam1", t0)
		errs := race(func(int) error {
			_, err := s.UseRefreshToken(t.Context(), []byte("h1"), t0.Add(time.Second))
			return err
		})
		if ok, reused := tally(t, errs, storage.ErrReused); ok != 1 || reused != racers-1 {
			t.Fatalf("%d used and %d reused, want 1 and %d", ok, reused, racers-1)
		}
	})
	t.Run("RevokeFamily", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		mustRefreshToken(t, s, "h1", "fam1", t0)
		mustRefreshToken(t, s, "h2", "fam1", t0)
		mustRefreshToken(t, s, "h3", "fam2", t0)
		rev, err := s.RevokeRefreshFamily(t.Context(), "fam1", t0.Add(time.Minute), t0.Add(time.Hour), auditEntry("refresh.revoke", "app1", "fam1"))
		noErr(t, err)
		same(t, rev, storage.Revocation{
			Seq: rev.Seq, AppID: "app1", Kind: storage.RevocationRefreshFamily, Value: "fam1",
			IssuedBefore: t0.Add(time.Minute), CreatedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(time.Hour),
		})
		for _, h := range []string{"h1", "h2"} {
			_, err := s.UseRefreshToken(t.Context(), []byte(h), t0)
			wantErr(t, err, storage.ErrNotFound)
		}
		_, err = s.UseRefreshToken(t.Context(), []byte("h3"), t0)
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
	})
	t.Run("Prune", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		mustRefreshToken(t, s, "old", "fam1", t0)
		mustRefreshToken(t, s, "new", "fam1", t0.Add(time.Minute))
		n, err := s.PruneRefreshTokens(t.Context(), t0.Add(time.Hour))
		noErr(t, err)
		same(t, n, 1)
		_, err = s.UseRefreshToken(t.Context(), []byte("old"), t0)
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.UseRefreshToken(t.Context(), []byte("new"), t0)
		noErr(t, err)
	})
}
