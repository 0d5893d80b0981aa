package storagetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage"
)

// raceRounds is how many rounds the refresh token races run: an
// interleaving that breaks them may come up once in a hundred.
const raceRounds = 200

func testRefreshTokenRaces(t *testing.T, open opener) {
	t.Run("ConcurrentRotation", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		mustRefreshToken(t, s, "h1", "fam1", t0)
		errs := race(func(i int) error {
			_, err := s.RotateRefreshToken(t.Context(), []byte("h1"), next(fmt.Sprintf("next%d", i), t0), t0.Add(time.Second), nil)
			return err
		})
		if ok, reused := tally(t, errs, storage.ErrReused); ok != 1 || reused != racers-1 {
			t.Fatalf("%d rotated and %d reused, want 1 and %d", ok, reused, racers-1)
		}
		for i, err := range errs {
			_, got := s.GetRefreshToken(t.Context(), fmt.Appendf(nil, "next%d", i))
			if (err == nil) != (got == nil) {
				t.Fatalf("rotation %d: %v, its successor: %v", i, err, got)
			}
		}
	})
	// Each round, racers present one token at once, as the authority does:
	// a reuse ends the family, and the winner at once rotates the token it
	// got, as a thief would. Once every racer is done, no token of the
	// family may be left.
	t.Run("ReuseEndsFamily", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		var cursor int64
		for round := range raceRounds {
			fam := fmt.Sprintf("fam%d", round)
			first := fmt.Sprintf("r%d", round)
			mustRefreshToken(t, s, first, fam, t0)
			var mu sync.Mutex
			hashes := []string{first}
			errs := race(func(i int) error {
				hash := fmt.Sprintf("%s-%d", first, i)
				_, err := s.RotateRefreshToken(t.Context(), []byte(first), next(hash, t0), t0, nil)
				switch {
				case errors.Is(err, storage.ErrReused):
					_, rerr := s.RevokeRefreshFamily(t.Context(), fam, t0, t0.Add(time.Hour), nil)
					if rerr != nil && !errors.Is(rerr, storage.ErrNotFound) {
						t.Errorf("round %d: revoke family: %v", round, rerr)
					}
					return err
				case err != nil:
					return err
				}
				again := hash + "-again"
				mu.Lock()
				hashes = append(hashes, hash, again)
				mu.Unlock()
				if _, err := s.RotateRefreshToken(t.Context(), []byte(hash), next(again, t0), t0, nil); err != nil && !errors.Is(err, storage.ErrNotFound) {
					t.Errorf("round %d: the winner's rotation: %v", round, err)
				}
				return nil
			})
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, storage.ErrReused) && !errors.Is(err, storage.ErrNotFound):
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if won != 1 {
				t.Fatalf("round %d: %d rotations won, want 1", round, won)
			}
			for _, h := range hashes {
				if tok, err := s.GetRefreshToken(t.Context(), []byte(h)); err == nil {
					t.Fatalf("round %d: token %s of a family that saw reuse is still stored: %+v", round, h, tok)
				}
				if _, err := s.RotateRefreshToken(t.Context(), []byte(h), next(h+"-late", t0), t0, nil); !errors.Is(err, storage.ErrNotFound) {
					t.Fatalf("round %d: token %s of a family that saw reuse rotates: %v", round, h, err)
				}
			}
			cursor = wantFamilyRevoked(t, s, cursor, fam)
		}
	})
	// Each round, one goroutine rotates a user's token over and over while
	// another revokes the user: every token created up to the revocation
	// must be gone once both are done.
	t.Run("RevocationEndsRotatingTokens", func(t *testing.T) {
		s := withKey(t, open)
		t0 := now()
		for round := range raceRounds {
			user := fmt.Sprintf("user%d", round)
			first := user + "-0"
			noErr(t, s.CreateRefreshToken(t.Context(), storage.RefreshToken{IDHash: []byte(first), FamilyID: user, AppID: "app1", APIKeyID: "key1",
				Subject: user, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
			hashes := []string{first}
			var rotateErr, revokeErr error
			var wg sync.WaitGroup
			wg.Go(func() {
				for i := 1; i <= 10 && rotateErr == nil; i++ {
					hash := fmt.Sprintf("%s-%d", user, i)
					hashes = append(hashes, hash)
					_, rotateErr = s.RotateRefreshToken(t.Context(), []byte(hashes[i-1]), next(hash, t0), t0, nil)
				}
			})
			wg.Go(func() {
				_, revokeErr = s.AddRevocation(t.Context(), storage.Revocation{AppID: "app1", Kind: storage.RevocationUserID, Value: user,
					CreatedAt: t0.Add(time.Second), ExpiresAt: t0.Add(time.Hour)}, nil)
			})
			wg.Wait()
			noErr(t, revokeErr)
			if rotateErr != nil {
				wantErr(t, rotateErr, storage.ErrNotFound)
			}
			for _, h := range hashes {
				if tok, err := s.GetRefreshToken(t.Context(), []byte(h)); err == nil {
					t.Fatalf("round %d: token %s of a revoked user is still stored: %+v", round, h, tok)
				}
			}
		}
	})
}

// wantFamilyRevoked fails t unless a revocation of family fam was stored
// after cursor, and returns the cursor past it.
func wantFamilyRevoked(t *testing.T, s storage.Storage, cursor int64, fam string) int64 {
	t.Helper()
	rs, err := s.ListRevocations(t.Context(), storage.RevocationQuery{AfterSeq: cursor})
	noErr(t, err)
	found := false
	for _, r := range rs {
		found = found || (r.Kind == storage.RevocationRefreshFamily && r.Value == fam)
		cursor = r.Seq
	}
	if !found {
		t.Fatalf("family %s was not revoked", fam)
	}
	return cursor
}
