package server

import (
	"context"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
)

// The authority reloads its catalog from the store in the background while
// keys are created and revoked: no reload may bring back a state older than
// a change already made, so a new key always authenticates and a revoked
// key never does again.
func TestKeyChangesSurviveBackgroundReloads(t *testing.T) {
	s := newTestServer(t)
	ctx := context.Background()
	var live, revoked []authority.NewKey
	deadline := time.Now().Add(1500 * time.Millisecond)
	// The changes span at least 1.5 s, so the catalog reloads in the
	// background while they are made, and number at least 20 however slow
	// the machine is.
	for i := 0; time.Now().Before(deadline) || i < 20; i++ {
		k := s.newAPIKey(t, access.Production)
		if i%2 == 1 {
			if err := s.auth.RevokeAPIKey(ctx, authority.AsOperator("test"), k.APIKey); err != nil {
				t.Fatal(err)
			}
			revoked = append(revoked, k)
		} else {
			live = append(live, k)
		}
		for _, k := range live {
			if _, err := s.auth.Authenticate(k.APIKey, k.Secret); err != nil {
				t.Fatalf("after %d changes, live key %s: %v", i+1, k.APIKey, err)
			}
		}
		for _, k := range revoked {
			if _, err := s.auth.Authenticate(k.APIKey, k.Secret); err == nil {
				t.Fatalf("after %d changes, revoked key %s authenticates", i+1, k.APIKey)
			}
		}
	}
}
