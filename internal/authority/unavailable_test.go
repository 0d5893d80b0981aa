package authority_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/secret"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/testclock"
)

// awayStore is a store whose database can be taken away: while down,
// every operation the authority uses fails with storage.ErrUnavailable.
type awayStore struct {
	storage.Storage
	down atomic.Bool
	// refused is told of each background refresh refused while down,
	// each of which reads revocations first; a tick is dropped while
	// the last one is not read yet.
	refused chan struct{}
}

func (s *awayStore) err(op string) error {
	if s.down.Load() {
		return fmt.Errorf("%s: %w", op, storage.ErrUnavailable)
	}
	return nil
}

func (s *awayStore) ListApps(ctx context.Context) ([]storage.App, error) {
	if err := s.err("list apps"); err != nil {
		return nil, err
	}
	return s.Storage.ListApps(ctx)
}

func (s *awayStore) ListAPIKeys(ctx context.Context, appID string) ([]storage.APIKey, error) {
	if err := s.err("list api keys"); err != nil {
		return nil, err
	}
	return s.Storage.ListAPIKeys(ctx, appID)
}

func (s *awayStore) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	if err := s.err("list signing keys"); err != nil {
		return nil, err
	}
	return s.Storage.ListSigningKeys(ctx)
}

func (s *awayStore) CatalogVersion(ctx context.Context) (int64, error) {
	if err := s.err("catalog version"); err != nil {
		return 0, err
	}
	return s.Storage.CatalogVersion(ctx)
}

func (s *awayStore) CatalogChanges(ctx context.Context, after int64, limit int) ([]storage.CatalogChange, error) {
	if err := s.err("catalog changes"); err != nil {
		return nil, err
	}
	return s.Storage.CatalogChanges(ctx, after, limit)
}

func (s *awayStore) ListRevocations(ctx context.Context, q storage.RevocationQuery) ([]storage.Revocation, error) {
	if err := s.err("list revocations"); err != nil {
		select {
		case s.refused <- struct{}{}:
		default:
		}
		return nil, err
	}
	return s.Storage.ListRevocations(ctx, q)
}

func (s *awayStore) AddRevocation(ctx context.Context, r storage.Revocation, audit *storage.AuditEntry) (storage.Revocation, error) {
	if err := s.err("add revocation"); err != nil {
		return storage.Revocation{}, err
	}
	return s.Storage.AddRevocation(ctx, r, audit)
}

func (s *awayStore) CreateRefreshToken(ctx context.Context, tok storage.RefreshToken) error {
	if err := s.err("create refresh token"); err != nil {
		return err
	}
	return s.Storage.CreateRefreshToken(ctx, tok)
}

func (s *awayStore) Ping(ctx context.Context) error {
	if err := s.err("ping"); err != nil {
		return err
	}
	return s.Storage.Ping(ctx)
}

func (s *awayStore) AppendAuditBatch(ctx context.Context, entries []storage.AuditEntry) error {
	if err := s.err("append audit"); err != nil {
		return err
	}
	return s.Storage.AppendAuditBatch(ctx, entries)
}

// startAway starts an authority over an awayStore on a temp SQLite
// database, with one app and a production key.
func startAway(t *testing.T) (*authority.Authority, *awayStore, *testclock.Clock, authority.Caller) {
	t.Helper()
	store := &awayStore{Storage: openSQLite(t, filepath.Join(t.TempDir(), "stagedoor.db")), refused: make(chan struct{}, 1)}
	a, clock, caller := startOver(t, store, 10*time.Millisecond)
	return a, store, clock, caller
}

// startOver starts an authority over store, polling it every poll (0:
// the default), with one app and a production key, on a settable clock.
func startOver(t *testing.T, store storage.Storage, poll time.Duration) (*authority.Authority, *testclock.Clock, authority.Caller) {
	t.Helper()
	clock := testclock.New(time.Now().Truncate(time.Second))
	key := make([]byte, secret.KeySize)
	rand.Read(key)
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	a := start(t, authority.Config{Store: store, Box: box, Now: clock.Now, PollInterval: poll})
	ctx := t.Context()
	app, err := a.CreateApp(ctx, authority.AsOperator("test"), "acme")
	if err != nil {
		t.Fatal(err)
	}
	k, err := a.CreateAPIKey(ctx, authority.AsOperator("test"), app.ID, access.Production)
	if err != nil {
		t.Fatal(err)
	}
	caller, err := a.Authenticate(k.APIKey, k.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return a, clock, caller
}

func mint(t *testing.T, a *authority.Authority, caller authority.Caller, user string) string {
	t.Helper()
	out, err := a.IssueToken(t.Context(), authority.AsKey(caller), authority.IssueRequest{UserID: user, Role: "viewer"})
	if err != nil {
		t.Fatalf("mint for %s: %v", user, err)
	}
	return out.AccessToken
}

// TestStoreAway takes the store away from a running authority: what needs
// the store fails with ErrUnavailable, minting too since its audit entry
// cannot be committed, while tokens keep verifying against the views loaded
// before, which failed refreshes leave intact.
func TestStoreAway(t *testing.T) {
	a, store, clock, caller := startAway(t)
	alice := mint(t, a, caller, "alice")
	bob := mint(t, a, caller, "bob")
	if _, err := a.Revoke(t.Context(), authority.AsKey(caller), authority.RevokeRequest{UserID: "bob"}); err != nil {
		t.Fatal(err)
	}
	jwks := string(a.JWKS())

	store.down.Store(true)
	// Several refreshes fail before the views are checked.
	deadline := time.After(10 * time.Second)
	for range 3 {
		select {
		case <-store.refused:
		case <-deadline:
			t.Fatal("the authority did not try to refresh while the store was away")
		}
	}
	if err := a.Ready(t.Context()); !errors.Is(err, authority.ErrUnavailable) {
		t.Errorf("Ready while away: %v, want ErrUnavailable", err)
	}
	if _, err := a.Check(t.Context(), alice, "r", access.Consume, ""); err != nil {
		t.Errorf("verify while away: %v", err)
	}
	if _, err := a.Check(t.Context(), bob, "r", access.Consume, ""); !errors.Is(err, authority.ErrRevoked) {
		t.Errorf("verify of a revoked token while away: %v, want ErrRevoked", err)
	}
	if got := string(a.JWKS()); got != jwks {
		t.Errorf("JWKS changed while away:\n%s\nwas\n%s", got, jwks)
	}
	if _, err := a.Authenticate(caller.KeyID, "wrong"); !errors.Is(err, authority.ErrUnauthenticated) {
		t.Errorf("authenticate with a wrong secret while away: %v", err)
	}
	if _, err := a.Revoke(t.Context(), authority.AsKey(caller), authority.RevokeRequest{UserID: "alice"}); !errors.Is(err, authority.ErrUnavailable) {
		t.Errorf("revoke while away: %v, want ErrUnavailable", err)
	}
	if _, err := a.IssueToken(t.Context(), authority.AsKey(caller), authority.IssueRequest{UserID: "dave", Role: "viewer", Refresh: true}); !errors.Is(err, authority.ErrUnavailable) {
		t.Errorf("mint with a refresh token while away: %v, want ErrUnavailable", err)
	}
	if out, err := a.IssueToken(t.Context(), authority.AsKey(caller), authority.IssueRequest{UserID: "carol", Role: "viewer"}); !errors.Is(err, authority.ErrUnavailable) || out.AccessToken != "" {
		t.Errorf("mint while away: %q %v, want no token and ErrUnavailable", out.AccessToken, err)
	}
	if _, err := a.Check(t.Context(), alice, "r", access.Consume, ""); err != nil {
		t.Errorf("verify after the failed revocation: %v", err)
	}

	store.down.Store(false)
	// The answer of the probe made while away holds for ReadyFor.
	clock.Advance(authority.ReadyFor)
	if err := a.Ready(t.Context()); err != nil {
		t.Fatalf("not ready after the store is back: %v", err)
	}
	mint(t, a, caller, "carol")
	page, err := a.Audit(t.Context(), authority.AuditQuery{AppID: caller.AppID, Action: "token.mint"})
	if err != nil {
		t.Fatal(err)
	}
	carol := 0
	for _, e := range page.Entries {
		if e.Action == "token.mint" && e.Target == "carol" {
			carol++
		}
	}
	if carol != 1 {
		t.Fatalf("%d mint entries for carol, want the one minted after the store came back: %v", carol, page.Entries)
	}
}
