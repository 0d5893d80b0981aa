package authority_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// otherProcessStore is the store as a second process sharing the database
// sees it: its feed reports nothing of what others write, only what the
// test sends, so the node learns of their changes by polling. It counts
// the reads of the whole catalog.
type otherProcessStore struct {
	storage.Storage
	feed       chan storage.Change
	wholeReads atomic.Int64
}

func (s *otherProcessStore) Changes(context.Context) (<-chan storage.Change, error) {
	return s.feed, nil
}

func (s *otherProcessStore) ListApps(ctx context.Context) ([]storage.App, error) {
	s.wholeReads.Add(1)
	return s.Storage.ListApps(ctx)
}

// watcher starts a node on n's store that learns of n's changes only by
// polling every poll, as a server learns of the command line's, and reads
// at most page catalog changes at once.
func (n *node) watcher(t *testing.T, poll time.Duration, page int) (*authority.Authority, *otherProcessStore) {
	t.Helper()
	store := &otherProcessStore{Storage: n.store.Storage, feed: make(chan storage.Change)}
	a := authority.New(authority.Config{Store: store, Box: n.box, Now: n.clock.Now, PollInterval: poll})
	authority.SetCatalogPage(a, page)
	return run(t, a), store
}

// eventually waits until cond holds, looking again each time a's catalog
// in memory changes, failing t after a deadline.
func eventually(t *testing.T, a *authority.Authority, what string, cond func() bool) {
	t.Helper()
	until(t, a.CatalogChanged, what, cond)
}

// published waits until a publishes the signing key kid, looking again at
// each change of its JWKS.
func published(t *testing.T, a *authority.Authority, kid string) {
	t.Helper()
	changed := func() <-chan struct{} {
		_, ch := a.JWKSChanged()
		return ch
	}
	until(t, changed, "signing key "+kid+" published", func() bool {
		return strings.Contains(string(a.JWKS()), `"`+kid+`"`)
	})
}

// until waits until cond holds, looking again each time the channel
// changed returned, taken before each look, is closed; it fails t after
// 10 s.
func until(t *testing.T, changed func() <-chan struct{}, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		moved := changed()
		if cond() {
			return
		}
		select {
		case <-moved:
		case <-deadline:
			t.Fatalf("%s: not within 10 s", what)
		}
	}
}

// TestCatalogFollowsAnotherProcess makes changes on one node that a second
// node learns of only by polling the store: every kind of catalog change
// reaches it, and it reads only what changed, never the whole catalog
// again after its start.
func TestCatalogFollowsAnotherProcess(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		n := newNode(t, open(t))
		w, store := n.watcher(t, 10*time.Millisecond, 1000)
		ctx := t.Context()
		cli := authority.AsOperator("cli")

		app, err := n.auth.CreateApp(ctx, cli, "late")
		if err != nil {
			t.Fatal(err)
		}
		k, err := n.auth.CreateAPIKey(ctx, cli, app.ID, access.Production)
		if err != nil {
			t.Fatal(err)
		}
		var caller authority.Caller
		eventually(t, w, "a new app's new key authenticates", func() bool {
			caller, err = w.Authenticate(k.APIKey, k.Secret)
			return err == nil
		})
		issue := func(role string) error {
			_, err := w.IssueToken(ctx, authority.AsKey(caller), authority.IssueRequest{UserID: "alice", Role: role})
			return err
		}
		if _, err := n.auth.SetRole(ctx, cli, app.ID, "stage", []string{"room.join", "consume"}, 10); err != nil {
			t.Fatal(err)
		}
		eventually(t, w, "a new custom role is granted", func() bool { return issue("stage") == nil })
		if err := n.store.DeleteRole(ctx, app.ID, "stage", nil); err != nil {
			t.Fatal(err)
		}
		eventually(t, w, "a deleted custom role is refused", func() bool {
			var invalid *access.InvalidError
			return errors.As(issue("stage"), &invalid) && invalid.Field == "role"
		})

		tok, err := w.IssueToken(ctx, authority.AsKey(caller), authority.IssueRequest{UserID: "bob", Role: access.Viewer})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Check(ctx, tok.AccessToken, "r", access.Consume, ""); err != nil {
			t.Fatal(err)
		}
		if err := n.auth.RevokeAPIKey(ctx, cli, k.APIKey); err != nil {
			t.Fatal(err)
		}
		eventually(t, w, "a revoked key stops authenticating", func() bool {
			_, err := w.Authenticate(k.APIKey, k.Secret)
			return errors.Is(err, authority.ErrUnauthenticated)
		})
		if _, err := w.Check(ctx, tok.AccessToken, "r", access.Consume, ""); !errors.Is(err, authority.ErrRevoked) {
			t.Fatalf("token of the revoked key: %v, want ErrRevoked", err)
		}

		kid, err := n.auth.RotateSigningKey(ctx, cli)
		if err != nil {
			t.Fatal(err)
		}
		published(t, w, kid)
		if got := store.wholeReads.Load(); got != 1 {
			t.Errorf("the whole catalog was read %d times, want once, at start", got)
		}
	})
}

// TestCatalogBacklogReadWhole: a backlog of a full page of changes is read
// as the whole catalog, and nothing in it is lost.
func TestCatalogBacklogReadWhole(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) storage.Storage) {
		n := newNode(t, open(t))
		w, store := n.watcher(t, time.Hour, 2)
		ctx := t.Context()
		cli := authority.AsOperator("cli")
		// Two apps with a key each: four changes, then a hint; the
		// watcher, reading two at a time, finds a full page.
		var keys []authority.NewKey
		for _, name := range []string{"one", "two"} {
			app, err := n.auth.CreateApp(ctx, cli, name)
			if err != nil {
				t.Fatal(err)
			}
			k, err := n.auth.CreateAPIKey(ctx, cli, app.ID, access.Production)
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
		}
		store.feed <- storage.Change{Kind: storage.ChangeApp}
		eventually(t, w, "every new key authenticates", func() bool {
			return !slices.ContainsFunc(keys, func(k authority.NewKey) bool {
				_, err := w.Authenticate(k.APIKey, k.Secret)
				return err != nil
			})
		})
		if got := store.wholeReads.Load(); got != 2 {
			t.Errorf("the whole catalog was read %d times, want twice: at start and for the full page", got)
		}
	})
}

// TestCommandLineReachesServerOnSQLite: a server's authority that never
// polls learns of what the command line, another process on the same
// SQLite file, commits, from its store's own announcement.
func TestCommandLineReachesServerOnSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stagedoor.db")
	n := newNode(t, openSQLite(t, path))
	server := start(t, authority.Config{Store: openSQLite(t, path), Box: n.box, PollInterval: time.Hour})
	k, err := n.auth.CreateAPIKey(t.Context(), authority.AsOperator("cli"), n.app, access.Production)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, server, "the command line's new key authenticates", func() bool {
		_, err := server.Authenticate(k.APIKey, k.Secret)
		return err == nil
	})
	if err := n.auth.RevokeAPIKey(t.Context(), authority.AsOperator("cli"), k.APIKey); err != nil {
		t.Fatal(err)
	}
	eventually(t, server, "the command line's revoked key is refused", func() bool {
		_, err := server.Authenticate(k.APIKey, k.Secret)
		return errors.Is(err, authority.ErrUnauthenticated)
	})
}
