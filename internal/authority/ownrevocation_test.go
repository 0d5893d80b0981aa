package authority_test

import (
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/secret"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/sqlite"
)

// heldFeed is a store whose change feed the test feeds by hand.
type heldFeed struct {
	storage.Storage
	changes chan storage.Change
}

func (s *heldFeed) Changes(context.Context) (<-chan storage.Change, error) { return s.changes, nil }

// TestOwnRevocationKeepsOthersUnread has node B revoke while a revocation
// node A stored before is still unread by B. B's own revocation, numbered
// after A's, must not move B past A's: once B reads the store, A's
// revocation holds on B too.
func TestOwnRevocationKeepsOthersUnread(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "stagedoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, secret.KeySize)
	rand.Read(key)
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	start := func(store storage.Storage) *authority.Authority {
		a := authority.New(authority.Config{Store: store, Box: box, PollInterval: time.Hour})
		if err := a.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return a
	}
	nodeA := start(db)
	feedB := &heldFeed{Storage: db, changes: make(chan storage.Change)}
	t.Cleanup(func() {
		cancel()
		nodeA.Close()
		db.Close()
	})
	app, err := nodeA.CreateApp(ctx, authority.AsOperator("test"), "acme")
	if err != nil {
		t.Fatal(err)
	}
	k, err := nodeA.CreateAPIKey(ctx, authority.AsOperator("test"), app.ID, access.Production)
	if err != nil {
		t.Fatal(err)
	}
	nodeB := start(feedB)
	t.Cleanup(nodeB.Close)
	caller, err := nodeB.Authenticate(k.APIKey, k.Secret)
	if err != nil {
		t.Fatal(err)
	}
	alice := mint(t, nodeA, caller, "alice")
	bob := mint(t, nodeB, caller, "bob")

	if _, err := nodeA.Revoke(ctx, authority.AsKey(caller), authority.RevokeRequest{UserID: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := nodeB.Revoke(ctx, authority.AsKey(caller), authority.RevokeRequest{UserID: "bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := nodeB.Check(ctx, bob, "r", access.Consume, ""); !errors.Is(err, authority.ErrRevoked) {
		t.Fatalf("B's own revocation does not hold on B at once: %v", err)
	}
	// The feed is unbuffered and B's follow loop handles one change at a
	// time: the second send returns once the first change was handled.
	deadline := time.After(5 * time.Second)
	for range 2 {
		select {
		case feedB.changes <- storage.Change{Kind: storage.ChangeRevocation, AppID: app.ID}:
		case <-deadline:
			t.Fatal("B's follow loop does not take the feed's changes")
		}
	}
	if _, err := nodeB.Check(ctx, alice, "r", access.Consume, ""); !errors.Is(err, authority.ErrRevoked) {
		t.Fatalf("A's revocation does not hold on B after B read the store: %v", err)
	}
}
