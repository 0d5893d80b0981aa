package server

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/secret"
	"github.com/stagedoor/stagedoor/internal/storage/sqlite"
	"github.com/stagedoor/stagedoor/internal/testclock"
	"github.com/stagedoor/stagedoor/token"
	sqlitedriver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqlitePragmas holds, by database path, the pragmas every new connection to
// a test database runs first: SQLite settings such as max_page_count and
// query_only hold per connection, so each connection a store opens must get
// them.
var sqlitePragmas sync.Map

var hookPragmas = sync.OnceFunc(func() {
	sqlitedriver.RegisterConnectionHook(func(conn sqlitedriver.ExecQuerierContext, dsn string) error {
		path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
		pragmas, ok := sqlitePragmas.Load(path)
		if !ok {
			return nil
		}
		for _, p := range pragmas.([]string) {
			if _, err := conn.ExecContext(context.Background(), p, nil); err != nil {
				return err
			}
		}
		return nil
	})
})

// withPragmas makes every connection opened to the database at path from now
// on run pragmas, until t ends.
func withPragmas(t *testing.T, path string, pragmas ...string) {
	t.Helper()
	hookPragmas()
	sqlitePragmas.Store(path, pragmas)
	t.Cleanup(func() { sqlitePragmas.Delete(path) })
}

// startNode runs the real handler stack over the SQLite database at path, as
// one run of the serve command on a data directory does, until stop or the
// end of t.
func startNode(t *testing.T, path string, box *secret.Box, clk *testclock.Clock) (s *testServer, stop func()) {
	t.Helper()
	store, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	auth := authority.New(authority.Config{Store: store, Box: box, Now: clk.Now, PollInterval: 50 * time.Millisecond})
	if err := auth.Start(context.Background()); err != nil {
		store.Close()
		t.Fatal(err)
	}
	api := New(Config{Auth: auth, Now: clk.Now})
	srv := httptest.NewServer(api)
	stop = sync.OnceFunc(func() {
		srv.Close()
		auth.Close()
		store.Close()
	})
	t.Cleanup(stop)
	return &testServer{Server: srv, api: api, auth: auth, clock: clk}, stop
}

func newBox(t *testing.T) *secret.Box {
	t.Helper()
	key := make([]byte, secret.KeySize)
	rand.Read(key)
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// addApp creates the app and production key s's requests use.
func (s *testServer) addApp(t *testing.T) {
	t.Helper()
	app, err := s.auth.CreateApp(context.Background(), authority.AsOperator("test"), "acme")
	if err != nil {
		t.Fatal(err)
	}
	s.app = app.ID
	if s.prod, err = s.auth.CreateAPIKey(context.Background(), authority.AsOperator("test"), app.ID, access.Production); err != nil {
		t.Fatal(err)
	}
}

// auditedMints returns the jti of every token.mint entry in the audit log.
func auditedMints(ctx context.Context, auth *authority.Authority) (map[string]bool, error) {
	entries, err := auditLog(ctx, auth)
	if err != nil {
		return nil, err
	}
	jtis := make(map[string]bool)
	for _, e := range entries {
		var d struct {
			JTI string `json:"jti"`
		}
		if e.Action == "token.mint" && json.Unmarshal(e.Detail, &d) == nil {
			jtis[d.JTI] = true
		}
	}
	return jtis, nil
}

// mintedJTI mints a token through POST /v1/tokens and returns its jti.
func (s *testServer) mintedJTI(user string) (string, error) {
	body := fmt.Sprintf(`{"user_id":%q,"role":"viewer"}`, user)
	req, _ := http.NewRequest("POST", s.URL+"/v1/tokens", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(s.prod.APIKey, s.prod.Secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("mint: %d %v", resp.StatusCode, err)
	}
	_, c, err := token.Inspect(out.AccessToken)
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

// TestMintAnsweredOnceAudited mints from concurrent clients and reads the
// audit log as soon as each 201 arrives: the token's entry is already
// stored, with nothing flushed or awaited.
func TestMintAnsweredOnceAudited(t *testing.T) {
	s := newTestServer(t)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 10 {
				jti, err := s.mintedJTI(fmt.Sprintf("u%d-%d", w, i))
				if err != nil {
					t.Error(err)
					return
				}
				audited, err := auditedMints(context.Background(), s.auth)
				if err != nil {
					t.Error(err)
					return
				}
				if !audited[jti] {
					t.Errorf("token %s answered 201 before its audit entry was stored", jti)
					return
				}
			}
		})
	}
	wg.Wait()
}

// fillDatabase makes the database at path full the way a full disk does,
// without one: withPragmas has capped its size (max_page_count), and audit
// rows of decreasing size take the room left until SQLite answers
// SQLITE_FULL for the smallest. Every request that writes an audit entry
// then needs a page the database cannot get.
func fillDatabase(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, size := range []int{3000, 300, 30, 0} {
		for {
			_, err := db.ExecContext(t.Context(), `INSERT INTO audit_log (occurred_at, actor, action, app_id, target, detail)
				VALUES (0, 'f', 'f', '', '', zeroblob(?))`, size)
			var e *sqlitedriver.Error
			if errors.As(err, &e) && e.Code() == sqlite3.SQLITE_FULL {
				break
			}
			if err != nil {
				t.Fatalf("filling the database: %v", err)
			}
		}
	}
}

// wantUnavailable checks a 503 problem with code unavailable and a
// Retry-After, and that no token came with it.
func wantUnavailable(t *testing.T, what string, r reply) {
	t.Helper()
	if r.status != http.StatusServiceUnavailable || r.body["code"] != "unavailable" || r.header.Get("Retry-After") == "" {
		t.Errorf("%s: %d %v %s, want 503 unavailable with Retry-After", what, r.status, r.header, r.raw)
	}
	if _, ok := r.body["access_token"]; ok {
		t.Errorf("%s: a token came with the failure: %s", what, r.raw)
	}
}

// TestFullDatabaseAnswers503 fills the database: /readyz, minting (tokens
// and guests), revoking and creating a room answer 503 with Retry-After,
// no token is handed out, and nothing is stored.
func TestFullDatabaseAnswers503(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stagedoor.db")
	withPragmas(t, path, "PRAGMA max_page_count = 512")
	s, _ := startNode(t, path, newBox(t), testclock.New(time.Now().Truncate(time.Second)))
	s.addApp(t)
	alice := s.user(t, "alice", access.Host)
	if r := s.do(t, call{method: "GET", path: "/readyz"}); r.status != http.StatusOK {
		t.Fatalf("readyz before the database is full: %d %s", r.status, r.raw)
	}
	fillDatabase(t, path)
	audit, revs := s.auditCount(t), s.revocationCount(t)

	s.clock.Advance(time.Second)
	wantUnavailable(t, "readyz", s.do(t, call{method: "GET", path: "/readyz"}))
	wantUnavailable(t, "mint", s.do(t, call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "bob", "role": "viewer"}}))
	wantUnavailable(t, "guest", s.do(t, call{method: "POST", path: "/v1/guests", basic: &s.prod, body: map[string]any{"name": "Guest"}}))
	wantUnavailable(t, "revoke", s.do(t, call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"user_id": "alice"}}))
	wantUnavailable(t, "create room", s.do(t, call{method: "POST", path: "/v1/rooms", basic: &s.prod, body: map[string]any{"name": "stage", "type": "conference"}}))

	if got := s.auditCount(t); got != audit {
		t.Errorf("audit entries: %d, want %d", got, audit)
	}
	if got := s.revocationCount(t); got != revs {
		t.Errorf("revocations: %d, want %d", got, revs)
	}
	if r := s.do(t, call{method: "GET", path: "/v1/rooms/stage", basic: &s.prod}); r.status != http.StatusNotFound {
		t.Errorf("room after the failed create: %d %s, want 404", r.status, r.raw)
	}
	s.wantAllowed(t, alice, "demo", "consume")
}

// TestReadOnlyDatabaseIsNotReady serves a database that refuses writes, as
// one on a read-only file system does (chmod cannot make one for a test
// running as root, so SQLite's query_only stands in): /readyz and minting
// answer 503 while tokens keep verifying.
func TestReadOnlyDatabaseIsNotReady(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stagedoor.db")
	box, clk := newBox(t), testclock.New(time.Now().Truncate(time.Second))
	first, stop := startNode(t, path, box, clk)
	first.addApp(t)
	alice := first.user(t, "alice", access.Host)
	stop()

	withPragmas(t, path, "PRAGMA query_only = 1")
	s, _ := startNode(t, path, box, clk)
	s.app, s.prod = first.app, first.prod
	wantUnavailable(t, "readyz", s.do(t, call{method: "GET", path: "/readyz"}))
	wantUnavailable(t, "mint", s.do(t, call{method: "POST", path: "/v1/tokens", basic: &s.prod, body: map[string]any{"user_id": "bob", "role": "viewer"}}))
	s.wantAllowed(t, alice, "demo", "consume")
}
