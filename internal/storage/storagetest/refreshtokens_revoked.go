package storagetest

import (
	"slices"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// testRevocationsEndRefreshTokens checks that each way of revoking deletes
// exactly the refresh tokens it matches, in its own transaction.
func testRevocationsEndRefreshTokens(t *testing.T, open opener) {
	t0 := now().Truncate(time.Second)
	at := t0.Add(time.Second)
	// The tokens every case starts from; the revocations are made at at.
	tokens := []storage.RefreshToken{
		{IDHash: []byte("alice"), FamilyID: "fam-alice", AppID: "app1", APIKeyID: "key1", Subject: "alice", Rooms: []string{"lobby", "stage"}, CreatedAt: t0},
		{IDHash: []byte("alice-same-second"), FamilyID: "fam-alice2", AppID: "app1", APIKeyID: "key1", Subject: "alice", CreatedAt: at},
		{IDHash: []byte("alice-later"), FamilyID: "fam-alice3", AppID: "app1", APIKeyID: "key1", Subject: "alice", Rooms: []string{"stage"}, CreatedAt: at.Add(time.Second)},
		{IDHash: []byte("bob"), FamilyID: "fam-bob", AppID: "app1", APIKeyID: "key1", Subject: "bob", Rooms: []string{"lobby"}, CreatedAt: t0},
		{IDHash: []byte("carol"), FamilyID: "fam-carol", AppID: "app1", APIKeyID: "key3", Subject: "carol", CreatedAt: t0},
		{IDHash: []byte("other-app"), FamilyID: "fam-alice", AppID: "app2", APIKeyID: "key2", Subject: "alice", Rooms: []string{"stage"}, CreatedAt: t0},
	}
	revocation := func(kind storage.RevocationKind, value string) func(storage.Storage) error {
		return func(s storage.Storage) error {
			r := storage.Revocation{AppID: "app1", Kind: kind, Value: value, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
			if kind == storage.RevocationIssuedBefore {
				r.IssuedBefore = at
			}
			_, err := s.AddRevocation(t.Context(), r, nil)
			return err
		}
	}
	cases := []struct {
		name   string
		revoke func(s storage.Storage) error
		ended  []string
	}{
		{"User", revocation(storage.RevocationUserID, "alice"), []string{"alice", "alice-same-second"}},
		{"UserIssuedBefore", func(s storage.Storage) error {
			_, err := s.AddRevocation(t.Context(), storage.Revocation{AppID: "app1", Kind: storage.RevocationUserID, Value: "alice",
				IssuedBefore: t0, CreatedAt: at.Add(time.Minute), ExpiresAt: at.Add(time.Hour)}, nil)
			return err
		}, []string{"alice"}},
		{"Room", revocation(storage.RevocationRoom, "stage"), []string{"alice"}},
		{"OtherRoom", revocation(storage.RevocationRoom, "lobby"), []string{"alice", "bob"}},
		{"IssuedBefore", revocation(storage.RevocationIssuedBefore, ""), []string{"alice", "bob", "carol"}},
		{"APIKey", func(s storage.Storage) error {
			_, err := s.RevokeAPIKey(t.Context(), "key3", at, at.Add(time.Hour), nil)
			return err
		}, []string{"carol"}},
		{"Family", revocation(storage.RevocationRefreshFamily, "fam-alice"), []string{"alice"}},
		{"RevokeFamily", func(s storage.Storage) error {
			_, err := s.RevokeRefreshFamily(t.Context(), "fam-alice", at, at.Add(time.Hour), nil)
			return err
		}, []string{"alice"}},
		{"TokenID", revocation(storage.RevocationTokenID, "fam-alice.x"), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := withKey(t, open)
			mustAPIKey(t, s, "app1", "key3")
			mustApp(t, s, "app2")
			mustAPIKey(t, s, "app2", "key2")
			for _, tok := range tokens {
				tok.ExpiresAt = tok.CreatedAt.Add(time.Hour)
				noErr(t, s.CreateRefreshToken(t.Context(), tok))
			}
			noErr(t, tc.revoke(s))
			for _, tok := range tokens {
				_, err := s.GetRefreshToken(t.Context(), tok.IDHash)
				switch ended := slices.Contains(tc.ended, string(tok.IDHash)); {
				case ended && err == nil:
					t.Errorf("refresh token %s was not ended", tok.IDHash)
				case ended:
					wantErr(t, err, storage.ErrNotFound)
				case err != nil:
					t.Errorf("refresh token %s: %v, want it kept", tok.IDHash, err)
				}
			}
		})
	}
	t.Run("FailedRevocationEndsNothing", func(t *testing.T) {
		s := withKey(t, open)
		mustRefreshToken(t, s, "h1", "fam1", t0)
		_, err := s.AddRevocation(t.Context(), storage.Revocation{AppID: "app1", Kind: storage.RevocationUserID, Value: "user-1", CreatedAt: at}, nil)
		wantErr(t, err, storage.ErrInvalid)
		_, err = s.RevokeAPIKey(t.Context(), "key1", at, time.Time{}, nil)
		wantErr(t, err, storage.ErrInvalid)
		_, err = s.GetRefreshToken(t.Context(), []byte("h1"))
		noErr(t, err)
	})
}
