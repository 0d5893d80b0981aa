package authority_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/secret"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/postgres"
	"github.com/stagedoor/stagedoor/internal/storage/postgres/pgtest"
	"github.com/stagedoor/stagedoor/internal/storage/sqlite"
	"github.com/stagedoor/stagedoor/internal/testclock"
)

// eachBackend runs f as parallel subtests, one on each storage backend:
// SQLite, and PostgreSQL when the test database is set. open returns a
// new, empty store, closed when its test ends.
func eachBackend(t *testing.T, f func(t *testing.T, open func(t *testing.T) storage.Storage)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f(t, func(t *testing.T) storage.Storage {
			return openSQLite(t, filepath.Join(t.TempDir(), "stagedoor.db"))
		})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		f(t, func(t *testing.T) storage.Storage {
			s, err := postgres.Open(t.Context(), pgtest.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
}

// openSQLite opens the SQLite database at path, closed when t ends.
func openSQLite(t *testing.T, path string) storage.Storage {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// start starts an authority configured by cfg, closed when t ends.
func start(t *testing.T, cfg authority.Config) *authority.Authority {
	t.Helper()
	return run(t, authority.New(cfg))
}

// run starts a, closed when t ends.
func run(t *testing.T, a *authority.Authority) *authority.Authority {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		a.Close()
	})
	return a
}

// prunedStore tells when the authority's periodic prune has run: it
// prunes refresh tokens last, after revocations in the store and in
// memory.
type prunedStore struct {
	storage.Storage
	// pruned holds the time of the latest prune not read yet.
	pruned chan time.Time
}

func (s *prunedStore) PruneRefreshTokens(ctx context.Context, now time.Time) (int, error) {
	n, err := s.Storage.PruneRefreshTokens(ctx, now)
	if err == nil {
		// Only the authority's follow loop prunes, so once the stale time
		// is taken out there is room for this one.
		select {
		case <-s.pruned:
		default:
		}
		s.pruned <- now
	}
	return n, err
}

// node is an authority on a store, with an injected clock, one app and
// its production and development keys.
type node struct {
	auth  *authority.Authority
	store *prunedStore
	clock *testclock.Clock
	box   *secret.Box
	app   string
	prod  authority.Caller
	dev   authority.Caller
}

func newNode(t *testing.T, store storage.Storage, opts ...func(*authority.Config)) *node {
	t.Helper()
	key := make([]byte, secret.KeySize)
	rand.Read(key)
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	n := &node{store: &prunedStore{Storage: store, pruned: make(chan time.Time, 1)}, clock: testclock.New(time.Now().Truncate(time.Second)), box: box}
	cfg := authority.Config{Store: n.store, Box: box, Now: n.clock.Now, PollInterval: 10 * time.Millisecond}
	for _, opt := range opts {
		opt(&cfg)
	}
	n.auth = start(t, cfg)
	ctx := t.Context()
	app, err := n.auth.CreateApp(ctx, authority.AsOperator("test"), "acme")
	if err != nil {
		t.Fatal(err)
	}
	n.app = app.ID
	for _, k := range []struct {
		kind access.KeyKind
		to   *authority.Caller
	}{{access.Production, &n.prod}, {access.Development, &n.dev}} {
		nk, err := n.auth.CreateAPIKey(ctx, authority.AsOperator("test"), app.ID, k.kind)
		if err != nil {
			t.Fatal(err)
		}
		if *k.to, err = n.auth.Authenticate(nk.APIKey, nk.Secret); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// at sets the clock to t and waits until the authority has pruned what
// expired by then. The authority prunes at most once a minute, so t must
// be a minute after the last time the clock was set to.
func (n *node) at(tb testing.TB, t time.Time) {
	tb.Helper()
	n.clock.Set(t)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case pruned := <-n.store.pruned:
			if !pruned.Before(t) {
				return
			}
		case <-deadline:
			tb.Fatalf("the authority did not prune at %s", t)
		}
	}
}

// issue mints a token with a refresh token.
func (n *node) issue(t *testing.T, caller authority.Caller, req authority.IssueRequest) authority.Issued {
	t.Helper()
	req.Refresh = true
	out, err := n.auth.IssueToken(t.Context(), authority.AsKey(caller), req)
	if err != nil {
		t.Fatal(err)
	}
	if out.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
	return out
}
