package verifier_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/internal/secret"
	"github.com/stagedoor/stagedoor/internal/server"
	"github.com/stagedoor/stagedoor/internal/storage/sqlite"
	"github.com/stagedoor/stagedoor/revocation"
	"github.com/stagedoor/stagedoor/token"
	"github.com/stagedoor/stagedoor/verifier"
)

type service struct {
	url       string
	auth      *authority.Authority
	caller    authority.Caller
	key       authority.NewKey
	jwksFetch *atomic.Int64
}

// newService runs the real service on a loopback port and counts JWKS fetches.
func newService(t *testing.T) *service {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	mk := make([]byte, secret.KeySize)
	rand.Read(mk)
	box, _ := secret.NewBox(mk)
	auth := authority.New(authority.Config{Store: store, Box: box})
	if err := auth.Start(ctx); err != nil {
		t.Fatal(err)
	}
	app, err := auth.CreateApp(ctx, authority.AsOperator("test"), "acme")
	if err != nil {
		t.Fatal(err)
	}
	key, err := auth.CreateAPIKey(ctx, authority.AsOperator("test"), app.ID, access.Production)
	if err != nil {
		t.Fatal(err)
	}
	caller, err := auth.Authenticate(key.APIKey, key.Secret)
	if err != nil {
		t.Fatal(err)
	}
	api := server.New(server.Config{Auth: auth})
	fetches := &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/jwks.json" {
			fetches.Add(1)
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		auth.Close()
		store.Close()
	})
	return &service{url: srv.URL, auth: auth, caller: caller, key: key, jwksFetch: fetches}
}

func (s *service) mint(t *testing.T, req authority.IssueRequest) string {
	t.Helper()
	out, err := s.auth.IssueToken(context.Background(), authority.AsKey(s.caller), req)
	if err != nil {
		t.Fatal(err)
	}
	return out.AccessToken
}

func (s *service) verifier(t *testing.T) *verifier.Verifier {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	v, err := verifier.New(ctx, verifier.Config{URL: s.url, APIKey: s.key.APIKey, APISecret: s.key.Secret,
		PollInterval: 20 * time.Millisecond, MinRefetch: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// revocationSeen waits, for up to two seconds, until the verifier's
// revocation set moves past gen: its feed brought a new revocation.
func revocationSeen(t *testing.T, gen uint64, moved <-chan struct{}) {
	t.Helper()
	select {
	case <-moved:
	case <-time.After(2 * time.Second):
		t.Fatalf("the verifier's revocations stayed at generation %d", gen)
	}
}

func TestCheckAndRevocationFeed(t *testing.T) {
	s := newService(t)
	v := s.verifier(t)
	ctx := context.Background()
	alice := s.mint(t, authority.IssueRequest{UserID: "alice", Role: "guest", Rooms: []string{"r1"}})
	bob := s.mint(t, authority.IssueRequest{UserID: "bob", Role: "viewer"})

	if _, err := v.Check(ctx, alice, "r1", access.ProduceCamera, ""); err != nil {
		t.Fatalf("alice in r1: %v", err)
	}
	var fe *access.ForbiddenError
	if _, err := v.Check(ctx, alice, "r2", access.Consume, ""); !errors.As(err, &fe) || fe.Reason != access.ReasonRoomMismatch {
		t.Fatalf("alice in r2: %v", err)
	}
	if _, err := v.Check(ctx, bob, "r1", access.ProduceCamera, ""); !errors.As(err, &fe) || fe.Missing != access.ProduceCamera {
		t.Fatalf("bob producing: %v", err)
	}
	gen, moved := v.Revocations().Changed()
	if _, err := s.auth.Revoke(ctx, authority.AsKey(s.caller), authority.RevokeRequest{UserID: "alice"}); err != nil {
		t.Fatal(err)
	}
	revocationSeen(t, gen, moved)
	if _, err := v.Verify(ctx, alice); !errors.Is(err, revocation.ErrRevoked) {
		t.Fatalf("alice after her revocation reached the verifier: %v", err)
	}
	if _, err := v.Verify(ctx, bob); err != nil {
		t.Fatalf("bob after alice's revocation: %v", err)
	}
}

func TestUnknownKeyRefetchIsRateLimited(t *testing.T) {
	s := newService(t)
	v := s.verifier(t)
	ctx := context.Background()
	before := s.jwksFetch.Load()
	other, _ := token.GenerateSigningKey(rand.Reader)
	now := time.Now().Truncate(time.Second)
	forged, err := token.Mint(other, &token.Claims{Issuer: s.key.APIKey, Subject: "x", Audience: "rtc", ID: "j1",
		IssuedAt: now, ExpiresAt: now.Add(time.Minute), Grants: token.Grants{Role: "host", Permissions: []string{"consume"}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := v.Verify(ctx, forged); !errors.Is(err, token.ErrUnknownKey) {
			t.Fatalf("forged token: %v", err)
		}
	}
	if n := s.jwksFetch.Load() - before; n != 1 {
		t.Errorf("unknown kid caused %d JWKS fetches, want 1 (rate-limited)", n)
	}
}

func TestRotationIsPickedUp(t *testing.T) {
	s := newService(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v, err := verifier.New(ctx, verifier.Config{URL: s.url})
	if err != nil {
		t.Fatal(err)
	}
	old := s.mint(t, authority.IssueRequest{UserID: "a", Role: "viewer"})
	if _, err := s.auth.RotateSigningKey(ctx, authority.AsOperator("test")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.auth.RotateSigningKey(ctx, authority.AsOperator("test")); err != nil {
		t.Fatal(err)
	}
	fresh := s.mint(t, authority.IssueRequest{UserID: "a", Role: "viewer"})
	for name, tok := range map[string]string{"old": old, "after two rotations": fresh} {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Errorf("%s token: %v", name, err)
		}
	}
}

func TestRequireMiddleware(t *testing.T) {
	s := newService(t)
	v := s.verifier(t)
	mux := http.NewServeMux()
	mux.Handle("POST /rooms/{room}/publish", v.Require(access.ProduceCamera)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := verifier.ClaimsFrom(r.Context())
		w.Write([]byte("hello " + c.Subject))
	})))
	media := httptest.NewServer(mux)
	defer media.Close()
	host := s.mint(t, authority.IssueRequest{UserID: "hana", Role: "host"})
	viewer := s.mint(t, authority.IssueRequest{UserID: "vic", Role: "viewer"})
	rows := []struct {
		name, auth, room string
		status           int
		code, missing    string
	}{
		{"host publishes", "Bearer " + host, "r1", 200, "", ""},
		{"viewer cannot", "Bearer " + viewer, "r1", 403, "missing_permission", "produce.camera"},
		{"no token", "", "r1", 401, "invalid_token", ""},
		{"garbage", "Bearer not.a.token", "r1", 401, "malformed", ""},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", media.URL+"/rooms/"+row.room+"/publish", nil)
			if row.auth != "" {
				req.Header.Set("Authorization", row.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != row.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, row.status)
			}
			if row.status == 200 {
				return
			}
			var p map[string]any
			json.NewDecoder(resp.Body).Decode(&p)
			if p["code"] != row.code || (row.missing != "" && p["missing_permission"] != row.missing) {
				t.Errorf("problem = %v", p)
			}
			wa := resp.Header.Get("WWW-Authenticate")
			if !strings.HasPrefix(wa, "Bearer") || (row.status == 403 && !strings.Contains(wa, `error="insufficient_scope"`)) {
				t.Errorf("WWW-Authenticate = %q", wa)
			}
		})
	}
}

// feedServer serves a JWKS and, as the revocation feed, whatever page it
// is given.
func feedServer(t *testing.T) (url string, page *atomic.Value) {
	t.Helper()
	k, err := token.GenerateSigningKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set, err := token.NewKeySet(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := set.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	page = &atomic.Value{}
	page.Store(`{"revocations":[],"cursor":0}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/jwks.json":
			w.Write(jwks)
		case "/v1/revocations":
			w.Write([]byte(page.Load().(string)))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, page
}

// A feed page that is only partly well formed is not applied at all: a
// page out of order applied in part would move the cursor past the
// revocation that came late, which no later read would bring again.
func TestSyncRefusesMalformedPage(t *testing.T) {
	url, page := feedServer(t)
	ctx := t.Context()
	v, err := verifier.New(ctx, verifier.Config{URL: url, APIKey: "sdk_feed", APISecret: "0123456789abcdef0123456789abcdef", PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	entry := func(seq int, value string) string {
		return fmt.Sprintf(`{"seq":%d,"app":"a1","kind":"token_id","value":%q,"created_at":"2026-11-23T10:00:00Z","expires_at":"2026-11-24T10:00:00Z"}`, seq, value)
	}
	revs := v.Revocations()
	page.Store(`{"revocations":[` + entry(2, "t2") + `,` + entry(1, "t1") + `],"cursor":1}`)
	if err := v.Sync(ctx); err == nil || !strings.Contains(err.Error(), "seq 1 does not follow 2") {
		t.Fatalf("Sync of a page out of order: %v", err)
	}
	if revs.Cursor() != 0 || revs.Revoked(&token.Claims{App: "a1", ID: "t2"}, "") {
		t.Fatalf("a refused page was applied: cursor %d", revs.Cursor())
	}
	page.Store(`{"revocations":[` + entry(1, "t1") + `,` + entry(2, "t2") + `],"cursor":2}`)
	if err := v.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, jti := range []string{"t1", "t2"} {
		if !revs.Revoked(&token.Claims{App: "a1", ID: jti}, "") {
			t.Errorf("%s not revoked once the page came in order", jti)
		}
	}
}

// Require refuses a token with the very answer POST /v1/verify gives for
// it: status, problem members and headers.
func TestRequireAnswersAsVerify(t *testing.T) {
	s := newService(t)
	v := s.verifier(t)
	mux := http.NewServeMux()
	mux.Handle("POST /rooms/{room}/publish", v.Require(access.ProduceCamera)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	media := httptest.NewServer(mux)
	defer media.Close()
	ctx := t.Context()
	revoked := s.mint(t, authority.IssueRequest{UserID: "rex", Role: "host"})
	if _, err := s.auth.Revoke(ctx, authority.AsKey(s.caller), authority.RevokeRequest{UserID: "rex"}); err != nil {
		t.Fatal(err)
	}
	if err := v.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	call := func(url, auth, body string) (int, http.Header, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Header, p
	}
	for name, auth := range map[string]string{
		"revoked":            "Bearer " + revoked,
		"missing permission": "Bearer " + s.mint(t, authority.IssueRequest{UserID: "vic", Role: "viewer"}),
		"room mismatch":      "Bearer " + s.mint(t, authority.IssueRequest{UserID: "hana", Role: "host", Rooms: []string{"r2"}}),
		"malformed":          "Bearer not.a.token",
		"no token":           "",
	} {
		t.Run(name, func(t *testing.T) {
			status, header, body := call(media.URL+"/rooms/r1/publish", auth, "")
			wantStatus, wantHeader, wantBody := call(s.url+"/v1/verify", auth, `{"room":"r1","permission":"produce.camera"}`)
			if status != wantStatus || fmt.Sprint(body) != fmt.Sprint(wantBody) {
				t.Errorf("middleware answered %d %v\nverify answered %d %v", status, body, wantStatus, wantBody)
			}
			for _, h := range []string{"Content-Type", "Cache-Control", "WWW-Authenticate"} {
				if header.Get(h) != wantHeader.Get(h) {
					t.Errorf("%s: middleware %q, verify %q", h, header.Get(h), wantHeader.Get(h))
				}
			}
		})
	}
}
