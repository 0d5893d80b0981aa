package authority_test

import (
	"crypto/sha256"
	"errors"
	"sync"
	"testing"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// TestConcurrentRefreshEndsTheFamily presents one refresh token 20 times
// at once, round after round. Exactly one use wins, and its winner at once
// presents the refresh token it got, as a thief would; the others are
// reuses, which end the family. After every round, no refresh token of
// the family may refresh again, none is left in the store, and none of
// the family's access tokens verifies.
func TestConcurrentRefreshEndsTheFamily(t *testing.T) {
	const rounds, racers = 200, 20
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		n := newNode(t, open(t))
		ctx := t.Context()
		for round := range rounds {
			first := n.issue(t, n.prod, authority.IssueRequest{UserID: "alice", Role: access.Viewer})
			var mu sync.Mutex
			refresh, tokens := []string{first.RefreshToken}, []string{first.AccessToken}
			won := 0
			var wg sync.WaitGroup
			for range racers {
				wg.Go(func() {
					out, err := n.auth.Refresh(ctx, first.RefreshToken)
					if err != nil {
						if !errors.Is(err, authority.ErrRefreshReused) && !errors.Is(err, authority.ErrRefreshInvalid) {
							t.Errorf("round %d: refresh: %v", round, err)
						}
						return
					}
					mu.Lock()
					won++
					refresh, tokens = append(refresh, out.RefreshToken), append(tokens, out.AccessToken)
					mu.Unlock()
					if again, err := n.auth.Refresh(ctx, out.RefreshToken); err == nil {
						mu.Lock()
						refresh, tokens = append(refresh, again.RefreshToken), append(tokens, again.AccessToken)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if won != 1 {
				t.Fatalf("round %d: %d uses won, want 1", round, won)
			}
			for i, rt := range refresh {
				sum := sha256.Sum256([]byte(rt))
				if _, err := n.store.GetRefreshToken(ctx, sum[:]); !errors.Is(err, storage.ErrNotFound) {
					t.Fatalf("round %d: refresh token %d of a family that saw reuse is still stored: %v", round, i, err)
				}
				if _, err := n.auth.Refresh(ctx, rt); err == nil {
					t.Fatalf("round %d: refresh token %d of a family that saw reuse refreshed again", round, i)
				}
			}
			for i, tok := range tokens {
				if _, err := n.auth.Check(ctx, tok, "r", access.Consume, ""); !errors.Is(err, authority.ErrRevoked) {
					t.Fatalf("round %d: access token %d of a family that saw reuse: %v, want revoked", round, i, err)
				}
			}
		}
	})
}
