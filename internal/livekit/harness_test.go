package livekit

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/secret"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/sqlite"
)

// testSecret is the LiveKit secret of the test project.
const testSecret = "livekit-test-secret-0123456789abcdef"

// fixture is an Integration over an authority on SQLite, with an app whose
// LiveKit project points at a port nothing listens on.
type fixture struct {
	lk    *Integration
	auth  *authority.Authority
	store storage.Storage
	app   string
	key   authority.Caller
}

// newFixture starts the fixture; opts change the Integration's config.
func newFixture(t *testing.T, opts ...func(*Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "stagedoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	mk := make([]byte, secret.KeySize)
	rand.Read(mk)
	box, err := secret.NewBox(mk)
	if err != nil {
		t.Fatal(err)
	}
	auth := authority.New(authority.Config{Store: store, Box: box})
	if err := auth.Start(ctx); err != nil {
		t.Fatal(err)
	}
	app, err := auth.CreateApp(ctx, authority.AsOperator("test"), "acme")
	if err != nil {
		t.Fatal(err)
	}
	nk, err := auth.CreateAPIKey(ctx, authority.AsOperator("test"), app.ID, access.Production)
	if err != nil {
		t.Fatal(err)
	}
	caller, err := auth.Authenticate(nk.APIKey, nk.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := SetProject(ctx, store, box, "test", app.ID, Project{URL: "ws://127.0.0.1:9", APIKey: "lkkey", APISecret: testSecret}); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Auth: auth, Store: store, Box: box}
	for _, opt := range opts {
		opt(&cfg)
	}
	lk := New(cfg)
	if err := lk.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		lk.Close()
		auth.Close()
		store.Close()
	})
	return &fixture{lk: lk, auth: auth, store: store, app: app.ID, key: caller}
}
