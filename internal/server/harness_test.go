package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/livekit"
	"github.com/stagedoor/stagedoor/internal/secret"
	"github.com/stagedoor/stagedoor/internal/storage"
	"github.com/stagedoor/stagedoor/internal/storage/sqlite"
	"github.com/stagedoor/stagedoor/internal/testclock"
	"github.com/stagedoor/stagedoor/token"
)

// The LiveKit project of the test app: a server nothing answers for, as
// the tests here only mint its tokens and check its webhooks.
const (
	testLiveKitURL    = "ws://127.0.0.1:9"
	testLiveKitKey    = "lk_test"
	testLiveKitSecret = "livekit-test-secret-0123456789abcdef"
)

// testServer is the real handler stack on a temp SQLite database, served on
// a loopback port, with one app (whose LiveKit project is the test one) and
// a production and a development key.
type testServer struct {
	*httptest.Server
	api   *Server
	auth  *authority.Authority
	store storage.Storage
	clock *testclock.Clock
	app   string
	prod  authority.NewKey
	dev   authority.NewKey
}

func newTestServer(t testing.TB, opts ...func(*authority.Config)) *testServer {
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
	clk := testclock.New(time.Now().Truncate(time.Second))
	cfg := authority.Config{Store: store, Box: box, Now: clk.Now, PollInterval: 50 * time.Millisecond}
	for _, opt := range opts {
		opt(&cfg)
	}
	auth := authority.New(cfg)
	if err := auth.Start(ctx); err != nil {
		t.Fatal(err)
	}
	app, err := auth.CreateApp(ctx, authority.AsOperator("test"), "acme")
	if err != nil {
		t.Fatal(err)
	}
	prod, err := auth.CreateAPIKey(ctx, authority.AsOperator("test"), app.ID, access.Production)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := auth.CreateAPIKey(ctx, authority.AsOperator("test"), app.ID, access.Development)
	if err != nil {
		t.Fatal(err)
	}
	if err := livekit.SetProject(ctx, store, box, "test", app.ID, livekit.Project{URL: testLiveKitURL, APIKey: testLiveKitKey, APISecret: testLiveKitSecret}); err != nil {
		t.Fatal(err)
	}
	lk := livekit.New(livekit.Config{Auth: auth, Store: store, Box: box})
	if err := lk.Start(ctx); err != nil {
		t.Fatal(err)
	}
	api := New(Config{Auth: auth, LiveKit: lk, Now: clk.Now})
	srv := httptest.NewServer(api)
	t.Cleanup(func() {
		srv.Close()
		lk.Close()
		auth.Close()
		store.Close()
	})
	return &testServer{Server: srv, api: api, auth: auth, store: store, clock: clk, app: app.ID, prod: prod, dev: dev}
}

// call sends a request and decodes the JSON answer into a map.
type call struct {
	method, path string
	body         any // marshalled to JSON unless a string
	basic        *authority.NewKey
	bearer       string
	header       map[string]string
	// from is the loopback address the request is sent from; empty means
	// the default (127.0.0.1).
	from string
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (s *testServer) do(t testing.TB, c call) reply {
	t.Helper()
	return send(t, c.from, s.request(t, c))
}

// request builds the HTTP request of c.
func (s *testServer) request(t testing.TB, c call) *http.Request {
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
	return req
}

// send sends req from the loopback address from and decodes the answer.
func send(t testing.TB, from string, req *http.Request) reply {
	t.Helper()
	resp, err := clientFrom(from).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("%s %s: bad JSON %q: %v", req.Method, req.URL.Path, raw, err)
		}
	}
	return r
}

// clientFrom returns an HTTP client whose connections leave from the
// loopback address from, so tests can act as distinct client addresses.
func clientFrom(from string) *http.Client {
	if from == "" {
		return http.DefaultClient
	}
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	return &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true}}
}

// mint gets a token through POST /v1/tokens, failing the test otherwise.
func (s *testServer) mint(t testing.TB, key *authority.NewKey, body map[string]any) string {
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

// mintReply is POST /v1/tokens with key and body.
func (s *testServer) mintReply(t *testing.T, key *authority.NewKey, body any) reply {
	t.Helper()
	return s.do(t, call{method: "POST", path: "/v1/tokens", basic: key, body: body})
}

// verify asks POST /v1/verify whether tok allows permission in room.
func (s *testServer) verify(t *testing.T, tok, room, permission string) reply {
	t.Helper()
	return s.do(t, call{method: "POST", path: "/v1/verify", bearer: tok, body: map[string]any{"room": room, "permission": permission}})
}

// wantAllowed checks that tok allows permission in room.
func (s *testServer) wantAllowed(t *testing.T, tok, room, permission string) {
	t.Helper()
	if r := s.verify(t, tok, room, permission); r.status != http.StatusOK || r.body["allowed"] != true {
		t.Fatalf("verify %s in %q: %d %s, want allowed", permission, room, r.status, r.raw)
	}
}

// claimsOf decodes a token's claims without verifying it.
func claimsOf(t *testing.T, tok string) (*token.Header, *token.Claims) {
	t.Helper()
	h, c, err := token.Inspect(tok)
	if err != nil {
		t.Fatalf("inspect %q: %v", tok, err)
	}
	return h, c
}

// caller authenticates key directly with the authority.
func (s *testServer) caller(t *testing.T, key authority.NewKey) authority.Caller {
	t.Helper()
	c, err := s.auth.Authenticate(key.APIKey, key.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// auditCount returns the number of audit entries. Every request that
// answered has its entries stored already, minting included.
func (s *testServer) auditCount(t *testing.T) int {
	t.Helper()
	entries, err := auditLog(context.Background(), s.auth)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// auditLog returns the whole audit log, oldest first, read page by page.
func auditLog(ctx context.Context, auth *authority.Authority) ([]authority.AuditEntry, error) {
	var all []authority.AuditEntry
	q := authority.AuditQuery{OldestFirst: true, Limit: authority.MaxAuditPage}
	for {
		page, err := auth.Audit(ctx, q)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Entries...)
		if page.Next == "" {
			return all, nil
		}
		q.Cursor = page.Next
	}
}

// revocationCount is the number of revocations of the test app.
func (s *testServer) revocationCount(t *testing.T) int {
	t.Helper()
	rs, err := s.auth.RevocationFeed(context.Background(), authority.AsKey(s.caller(t, s.prod)), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

// nothingWritten runs failing, which must leave the audit log and the
// revocations as they were.
func (s *testServer) nothingWritten(t *testing.T, failing func()) {
	t.Helper()
	audit, revs := s.auditCount(t), s.revocationCount(t)
	failing()
	if got := s.auditCount(t); got != audit {
		t.Fatalf("audit entries: %d, want %d", got, audit)
	}
	if got := s.revocationCount(t); got != revs {
		t.Fatalf("revocations: %d, want %d", got, revs)
	}
}

// newAPIKey creates another key of the test app.
func (s *testServer) newAPIKey(t *testing.T, kind access.KeyKind) authority.NewKey {
	t.Helper()
	k, err := s.auth.CreateAPIKey(context.Background(), authority.AsOperator("test"), s.app, kind)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// otherApp creates a second app with a production key.
func (s *testServer) otherApp(t *testing.T) authority.NewKey {
	t.Helper()
	ctx := context.Background()
	app, err := s.auth.CreateApp(ctx, authority.AsOperator("test"), "other-"+strings.ToLower(rand.Text()[:8]))
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.auth.CreateAPIKey(ctx, authority.AsOperator("test"), app.ID, access.Production)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// partnerToken mints c as HS256 with key's secret, the way a partner
// backend does; c's ID and times default to a fresh id and ten minutes of
// life from now. kind is the kind the partner's signing key claims.
func (s *testServer) partnerToken(t *testing.T, key authority.NewKey, kind access.KeyKind, c token.Claims) string {
	t.Helper()
	k, err := token.NewHMACKey(key.APIKey, []byte(key.Secret), kind)
	if err != nil {
		t.Fatal(err)
	}
	now := s.clock.Now().Truncate(time.Second)
	if c.ID == "" {
		c.ID = "partner-" + rand.Text()
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = now
	}
	if c.ExpiresAt.IsZero() {
		c.ExpiresAt = now.Add(10 * time.Minute)
	}
	tok, err := token.Mint(k, &c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// foreignToken signs grants, a JSON object, into an HS256 token of key for
// alice, valid for ten minutes from now, the way a partner backend using
// another JWT library does: nothing holds it to the vocabulary, as
// token.Mint would.
func (s *testServer) foreignToken(t *testing.T, key authority.NewKey, grants string) string {
	t.Helper()
	now := s.clock.Now().Unix()
	claims := fmt.Sprintf(`{"iss":%q,"sub":"alice","iat":%d,"exp":%d,"jti":"partner-%s","grants":%s}`,
		key.APIKey, now, now+600, rand.Text(), grants)
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"`+key.APIKey+`"}`)) + "." + enc.EncodeToString([]byte(claims))
	mac := hmac.New(sha256.New, []byte(key.Secret))
	mac.Write([]byte(input))
	return input + "." + enc.EncodeToString(mac.Sum(nil))
}
