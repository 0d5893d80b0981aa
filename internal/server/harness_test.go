package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/secret"
	"github.com/stagedoor/stagedoor/internal/storage/sqlite"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testServer is the real handler stack on a temp SQLite database, served on
// a loopback port, with one app and a production and a development key.
type testServer struct {
	*httptest.Server
	auth  *authority.Authority
	clock *clock
	app   string
	prod  authority.NewKey
	dev   authority.NewKey
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "stagedoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, secret.KeySize)
	rand.Read(key)
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().Truncate(time.Second)}
	auth := authority.New(authority.Config{Store: store, Box: box, Now: clk.Now, PollInterval: 50 * time.Millisecond})
	if err := auth.Start(ctx); err != nil {
		t.Fatal(err)
	}
	app, err := auth.CreateApp(ctx, "test", "acme")
	if err != nil {
		t.Fatal(err)
	}
	prod, err := auth.CreateAPIKey(ctx, "test", app.ID, access.Production)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := auth.CreateAPIKey(ctx, "test", app.ID, access.Development)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Config{Auth: auth, Now: clk.Now}))
	t.Cleanup(func() {
		srv.Close()
		auth.Close()
		store.Close()
	})
	return &testServer{Server: srv, auth: auth, clock: clk, app: app.ID, prod: prod, dev: dev}
}

// call sends a request and decodes the JSON answer into a map.
type call struct {
	method, path string
	body         any // marshalled to JSON unless a string
	basic        *authority.NewKey
	bearer       string
	header       map[string]string
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (s *testServer) do(t *testing.T, c call) reply {
	t.Helper()
	var body io.Reader
	switch b := c.body.(type) {
	case nil:
	case string:
		body = bytes.NewBufferString(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequest(c.method, s.URL+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.basic != nil {
		req.SetBasicAuth(c.basic.APIKey, c.basic.Secret)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("%s %s: bad JSON %q: %v", c.method, c.path, raw, err)
		}
	}
	return r
}

// mint gets a token through POST /v1/tokens, failing the test otherwise.
func (s *testServer) mint(t *testing.T, key *authority.NewKey, body map[string]any) string {
	t.Helper()
	r := s.do(t, call{method: "POST", path: "/v1/tokens", basic: key, body: body})
	if r.status != http.StatusCreated {
		t.Fatalf("mint: %d %s", r.status, r.raw)
	}
	return r.body["access_token"].(string)
}

// wantProblem checks a problem+json answer's status and code.
func wantProblem(t *testing.T, r reply, status int, code string) {
	t.Helper()
	if r.status != status || r.body["code"] != code {
		t.Fatalf("got %d %s, want %d code %q", r.status, r.raw, status, code)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	if (status == 401 || status == 403) && r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("%d without WWW-Authenticate", status)
	}
}

func TestMintThenVerify(t *testing.T) {
	s := newTestServer(t)
	tok := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "host", "rooms": []string{"demo"}})
	r := s.do(t, call{method: "POST", path: "/v1/verify", bearer: tok, body: map[string]any{"room": "demo", "permission": "produce.camera"}})
	if r.status != 200 || r.body["allowed"] != true || r.body["sub"] != "alice" || r.body["role"] != "host" {
		t.Fatalf("verify = %d %s", r.status, r.raw)
	}
	r = s.do(t, call{method: "POST", path: "/v1/verify", bearer: tok, body: map[string]any{"room": "other", "permission": "consume"}})
	wantProblem(t, r, 403, "room_mismatch")
}
