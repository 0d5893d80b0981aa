package storagetest

import (
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
)

func testAPIKeys(t *testing.T, open opener) {
	t.Run("CreateAndGet", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		want := storage.APIKey{ID: "key1", AppID: "app1", Kind: access.Production, SecretCiphertext: []byte{0, 1, 2, 255}, CreatedAt: now()}
		noErr(t, s.CreateAPIKey(t.Context(), want, auditEntry("key.create", "app1", "key1")))
		got, err := s.GetAPIKey(t.Context(), "key1")
		noErr(t, err)
		same(t, got, want)
		if got.Revoked() {
			t.Fatal("new key reads as revoked")
		}
		same(t, auditActions(t, s, "app1"), []string{"key.create"})
	})
	t.Run("UnknownApp", func(t *testing.T) {
		s := open(t)
		err := s.CreateAPIKey(t.Context(), storage.APIKey{ID: "key1", AppID: "nope", Kind: access.Production, SecretCiphertext: []byte("s")}, auditEntry("key.create", "nope", "key1"))
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetAPIKey(t.Context(), "key1")
		wantErr(t, err, storage.ErrNotFound)
		if got := auditActions(t, s, "nope"); len(got) != 0 {
			t.Fatalf("failed create left audit entries %v", got)
		}
	})
	t.Run("Duplicate", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		mustAPIKey(t, s, "app1", "key1")
		err := s.CreateAPIKey(t.Context(), storage.APIKey{ID: "key1", AppID: "app1", Kind: access.Production, SecretCiphertext: []byte("s")}, nil)
		wantErr(t, err, storage.ErrAlreadyExists)
	})
	t.Run("Invalid", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		for _, k := range []storage.APIKey{
			{ID: "key1", AppID: "app1", Kind: "staging", SecretCiphertext: []byte("s")},
			{ID: "key1", AppID: "app1", Kind: access.Service, SecretCiphertext: []byte("s")},
			{ID: "", AppID: "app1", Kind: access.Production, SecretCiphertext: []byte("s")},
			{ID: "key1", AppID: "app1", Kind: access.Production},
		} {
			wantErr(t, s.CreateAPIKey(t.Context(), k, nil), storage.ErrInvalid)
		}
	})
	t.Run("GetNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.GetAPIKey(t.Context(), "nope")
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("List", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		mustApp(t, s, "app2")
		k1 := mustAPIKey(t, s, "app1", "key1")
		k2 := mustAPIKey(t, s, "app2", "key2")
		k3 := mustAPIKey(t, s, "app1", "key3")
		all, err := s.ListAPIKeys(t.Context(), "")
		noErr(t, err)
		same(t, all, []storage.APIKey{k1, k2, k3})
		byApp, err := s.ListAPIKeys(t.Context(), "app1")
		noErr(t, err)
		same(t, byApp, []storage.APIKey{k1, k3})
		none, err := s.ListAPIKeys(t.Context(), "nope")
		noErr(t, err)
		same(t, len(none), 0)
	})
	t.Run("Revoke", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		mustAPIKey(t, s, "app1", "key1")
		at := now()
		expires := at.Add(time.Hour)
		rev, err := s.RevokeAPIKey(t.Context(), "key1", at, expires, auditEntry("key.revoke", "app1", "key1"))
		noErr(t, err)
		if rev.Seq == 0 {
			t.Fatal("revocation has no seq")
		}
		same(t, rev, storage.Revocation{Seq: rev.Seq, AppID: "app1", Kind: storage.RevocationAPIKey, Value: "key1", IssuedBefore: at, CreatedAt: at, ExpiresAt: expires})
		got, err := s.GetAPIKey(t.Context(), "key1")
		noErr(t, err)
		if !got.Revoked() || !got.RevokedAt.Equal(at) {
			t.Fatalf("revoked at %v, want %v", got.RevokedAt, at)
		}
		listed, err := s.ListRevocations(t.Context(), storage.RevocationQuery{})
		noErr(t, err)
		same(t, listed, []storage.Revocation{rev})
		same(t, auditActions(t, s, "app1"), []string{"key.revoke"})
	})
	t.Run("RevokeTwiceConflicts", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		mustAPIKey(t, s, "app1", "key1")
		first := now()
		_, err := s.RevokeAPIKey(t.Context(), "key1", first, first.Add(time.Hour), nil)
		noErr(t, err)
		_, err = s.RevokeAPIKey(t.Context(), "key1", first.Add(time.Minute), first.Add(2*time.Hour), auditEntry("key.revoke", "app1", "key1"))
		wantErr(t, err, storage.ErrConflict)
		got, err := s.GetAPIKey(t.Context(), "key1")
		noErr(t, err)
		if !got.RevokedAt.Equal(first) {
			t.Fatalf("second revoke moved RevokedAt to %v", got.RevokedAt)
		}
		revs, err := s.ListRevocations(t.Context(), storage.RevocationQuery{})
		noErr(t, err)
		same(t, len(revs), 1)
		same(t, len(auditActions(t, s, "app1")), 0)
	})
	t.Run("RevokeNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.RevokeAPIKey(t.Context(), "nope", now(), now().Add(time.Hour), nil)
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("RevokeWithoutExpiryWritesNothing", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		mustAPIKey(t, s, "app1", "key1")
		_, err := s.RevokeAPIKey(t.Context(), "key1", now(), time.Time{}, nil)
		wantErr(t, err, storage.ErrInvalid)
		got, err := s.GetAPIKey(t.Context(), "key1")
		noErr(t, err)
		if got.Revoked() {
			t.Fatal("failed revoke left the key revoked")
		}
	})
	t.Run("ConcurrentRevoke", func(t *testing.T) {
		s := open(t)
		mustApp(t, s, "app1")
		mustAPIKey(t, s, "app1", "key1")
		errs := race(func(int) error {
			_, err := s.RevokeAPIKey(t.Context(), "key1", now(), now().Add(time.Hour), nil)
			return err
		})
		if ok, conflicts := tally(t, errs, storage.ErrConflict); ok != 1 || conflicts != racers-1 {
			t.Fatalf("%d revoked and %d conflicted, want 1 and %d", ok, conflicts, racers-1)
		}
		revs, err := s.ListRevocations(t.Context(), storage.RevocationQuery{})
		noErr(t, err)
		same(t, len(revs), 1)
	})
}
