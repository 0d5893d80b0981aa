package authority_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// deafStore is a store whose change feed never reports anything, like a
// node whose notification has not arrived yet.
type deafStore struct{ storage.Storage }

func (deafStore) Changes(ctx context.Context) (<-chan storage.Change, error) {
	return make(chan storage.Change), nil
}

// peer starts a second node on n's store and clock that learns of other
// nodes' changes only when it reads the store itself: its feed is deaf and
// it polls once an hour.
func (n *node) peer(t *testing.T) *authority.Authority {
	t.Helper()
	return start(t, authority.Config{Store: deafStore{n.store.Storage}, Box: n.box, Now: n.clock.Now, PollInterval: time.Hour})
}

// TestRefreshOnANodeThatHasNotHeardOfTheRevocation: node A revokes alice;
// in the same second node B, not told yet, mints her a refresh token, which
// the revocation's deletion could not reach. Refreshing it on B must read
// the revocation first, or the family would live on with tokens issued
// after the revocation's second.
func TestRefreshOnANodeThatHasNotHeardOfTheRevocation(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		a := newNode(t, open(t))
		b := a.peer(t)
		ctx := t.Context()
		if _, err := a.auth.Revoke(ctx, authority.AsKey(a.prod), authority.RevokeRequest{UserID: "alice"}); err != nil {
			t.Fatal(err)
		}
		out, err := b.IssueToken(ctx, authority.AsKey(a.prod), authority.IssueRequest{UserID: "alice", Role: access.Viewer, Refresh: true})
		if err != nil {
			t.Fatal(err)
		}
		a.clock.Set(a.clock.Now().Add(2 * time.Second))
		if _, err := b.Refresh(ctx, out.RefreshToken); !errors.Is(err, authority.ErrRefreshInvalid) {
			t.Fatalf("refresh on the node that had not read the revocation: %v, want %v", err, authority.ErrRefreshInvalid)
		}
	})
}
