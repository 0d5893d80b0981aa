package server

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/authority"
)

// revoke posts a revocation with the production key and checks it is made.
func (s *testServer) revoke(t *testing.T, body map[string]any) reply {
	t.Helper()
	r := s.do(t, call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: body})
	if r.status != http.StatusCreated {
		t.Fatalf("revoke %v: %d %s", body, r.status, r.raw)
	}
	if seq, _ := r.body["seq"].(float64); seq < 1 {
		t.Fatalf("revoke %v: no seq in %s", body, r.raw)
	}
	return r
}

func wantRevoked(t *testing.T, s *testServer, tok, room string) {
	t.Helper()
	wantProblem(t, s.verify(t, tok, room, "consume"), http.StatusUnauthorized, "revoked")
}

func TestRevokeTokenID(t *testing.T) {
	s := newTestServer(t)
	victim := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer"})
	twin := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer"})
	s.wantAllowed(t, victim, "stage", "consume")
	_, c := claimsOf(t, victim)
	r := s.revoke(t, map[string]any{"token_id": c.ID})
	if r.body["kind"] != "token_id" || r.body["value"] != c.ID || r.body["app"] != s.app {
		t.Fatalf("revocation = %s", r.raw)
	}
	wantTime(t, r.body["created_at"], s.clock.Now())
	wantRevoked(t, s, victim, "stage")
	s.wantAllowed(t, twin, "stage", "consume")
}

func TestRevokeUser(t *testing.T) {
	s := newTestServer(t)
	other := s.otherApp(t)
	alice := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer"})
	bob := s.mint(t, &s.prod, map[string]any{"user_id": "bob", "role": "viewer"})
	theirs := s.mint(t, &other, map[string]any{"user_id": "alice", "role": "viewer"})
	s.clock.Advance(2 * time.Second)
	s.revoke(t, map[string]any{"user_id": "alice"})
	wantRevoked(t, s, alice, "stage")
	s.wantAllowed(t, bob, "stage", "consume")
	// A token minted in the same second as the revocation is revoked on
	// purpose (iat has whole seconds); one minted a second later works.
	sameSecond := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer"})
	wantRevoked(t, s, sameSecond, "stage")
	s.clock.Advance(time.Second)
	later := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer"})
	s.wantAllowed(t, later, "stage", "consume")
	// A user of another app with the same id is untouched.
	s.wantAllowed(t, theirs, "stage", "consume")
}

func TestRevokeRoom(t *testing.T) {
	s := newTestServer(t)
	bound := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer", "rooms": []string{"stage"}})
	boundElsewhere := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer", "rooms": []string{"lobby"}})
	unbound := s.mint(t, &s.prod, map[string]any{"user_id": "bob", "role": "viewer"})
	s.clock.Advance(time.Second)
	r := s.revoke(t, map[string]any{"room": "stage"})
	if r.body["kind"] != "room" || r.body["value"] != "stage" {
		t.Fatalf("revocation = %s", r.raw)
	}
	wantRevoked(t, s, bound, "stage")
	// A token bound to the room is dead everywhere, even with no room asked.
	wantProblem(t, s.do(t, call{method: "POST", path: "/v1/verify", bearer: bound, body: map[string]any{"permission": "consume"}}), http.StatusUnauthorized, "revoked")
	// An unbound token no longer works in the room, but still elsewhere.
	wantRevoked(t, s, unbound, "stage")
	s.wantAllowed(t, unbound, "lobby", "consume")
	s.wantAllowed(t, boundElsewhere, "lobby", "consume")
	// Tokens minted a second after the revocation work in the room again.
	s.clock.Advance(time.Second)
	s.wantAllowed(t, s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer", "rooms": []string{"stage"}}), "stage", "consume")
}

func TestRevokeIssuedBefore(t *testing.T) {
	s := newTestServer(t)
	other := s.otherApp(t)
	old := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer"})
	dev := s.mint(t, &s.dev, map[string]any{"user_id": "dora", "role": "viewer"})
	theirs := s.mint(t, &other, map[string]any{"user_id": "alice", "role": "viewer"})
	s.clock.Advance(2 * time.Second)
	cut := s.clock.Now().Add(-time.Second)
	young := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer"})
	r := s.revoke(t, map[string]any{"issued_before": cut.Format(time.RFC3339)})
	if r.body["kind"] != "issued_before" {
		t.Fatalf("revocation = %s", r.raw)
	}
	wantTime(t, r.body["issued_before"], cut)
	wantRevoked(t, s, old, "stage")
	wantRevoked(t, s, dev, "stage")
	s.wantAllowed(t, young, "stage", "consume")
	// Another app's tokens are untouched.
	s.wantAllowed(t, theirs, "stage", "consume")
}

func TestRevokeFailures(t *testing.T) {
	s := newTestServer(t)
	wrong := s.prod
	wrong.Secret += "x"
	future := s.clock.Now().Add(time.Hour).Format(time.RFC3339)
	for _, tc := range []struct {
		name   string
		c      call
		status int
		code   string
		field  string
	}{
		{"no field", call{body: map[string]any{}}, 400, "invalid_request", "body"},
		{"empty body", call{}, 400, "invalid_request", "body"},
		{"two fields", call{body: map[string]any{"user_id": "alice", "room": "stage"}}, 400, "invalid_request", "body"},
		{"a field and a time", call{body: map[string]any{"token_id": "t", "issued_before": s.clock.Now().Format(time.RFC3339)}}, 400, "invalid_request", "body"},
		{"issued_before in the future", call{body: map[string]any{"issued_before": future}}, 400, "invalid_request", "issued_before"},
		{"issued_before the zero time", call{body: map[string]any{"issued_before": "0001-01-01T00:00:00Z"}}, 400, "invalid_request", "issued_before"},
		{"issued_before not a time", call{body: map[string]any{"issued_before": "yesterday"}}, 400, "invalid_request", "issued_before"},
		{"unknown field", call{body: map[string]any{"api_key": "sdk_x"}}, 400, "invalid_request", "api_key"},
		{"value too long", call{body: map[string]any{"user_id": fmt.Sprintf("%0200d", 1)}}, 400, "invalid_request", "user_id"},
		{"no credentials", call{body: map[string]any{"user_id": "alice"}}, 401, "invalid_client", ""},
		{"wrong secret", call{basic: &wrong, body: map[string]any{"user_id": "alice"}}, 401, "invalid_client", ""},
		{"a bearer token", call{bearer: "abc", body: map[string]any{"user_id": "alice"}}, 401, "invalid_client", ""},
		{"wrong content type", call{body: "user_id=alice", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "unsupported_media_type", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.method, c.path = "POST", "/v1/revocations"
			if c.basic == nil && c.bearer == "" && tc.status != 401 {
				c.basic = &s.prod
			}
			s.nothingWritten(t, func() {
				r := s.do(t, c)
				wantProblem(t, r, tc.status, tc.code)
				if tc.field != "" && r.body["field"] != tc.field {
					t.Fatalf("field = %v, want %q: %s", r.body["field"], tc.field, r.raw)
				}
			})
		})
	}
}

func TestRevocationFeed(t *testing.T) {
	s := newTestServer(t)
	other := s.otherApp(t)
	var seqs []float64
	for i, body := range []map[string]any{{"user_id": "alice"}, {"room": "stage"}, {"token_id": "t-1"}, {"user_id": "bob"}} {
		r := s.revoke(t, body)
		seqs = append(seqs, r.body["seq"].(float64))
		if i == 1 {
			theirs := s.do(t, call{method: "POST", path: "/v1/revocations", basic: &other, body: map[string]any{"user_id": "eve"}})
			if theirs.status != http.StatusCreated {
				t.Fatalf("other app: %d %s", theirs.status, theirs.raw)
			}
		}
	}
	feed := func(t *testing.T, key *authority.NewKey, query string) (values []string, cursor float64) {
		t.Helper()
		app := key.App
		r := s.do(t, call{method: "GET", path: "/v1/revocations" + query, basic: key})
		if r.status != http.StatusOK {
			t.Fatalf("feed %s: %d %s", query, r.status, r.raw)
		}
		list, ok := r.body["revocations"].([]any)
		if !ok {
			t.Fatalf("feed %s: %s", query, r.raw)
		}
		last := 0.0
		for _, e := range list {
			m := e.(map[string]any)
			if m["app"] != app {
				t.Fatalf("feed of app %s holds another app's entry: %s", app, r.raw)
			}
			if seq := m["seq"].(float64); seq <= last {
				t.Fatalf("feed out of order: %s", r.raw)
			} else {
				last = seq
			}
			values = append(values, m["kind"].(string)+":"+m["value"].(string))
		}
		return values, r.body["cursor"].(float64)
	}

	all, cursor := feed(t, &s.prod, "")
	if fmt.Sprint(all) != "[user_id:alice room:stage token_id:t-1 user_id:bob]" || cursor != seqs[3] {
		t.Fatalf("feed = %v cursor %v, want cursor %v", all, cursor, seqs[3])
	}
	page, cursor := feed(t, &s.prod, "?limit=2")
	if fmt.Sprint(page) != "[user_id:alice room:stage]" || cursor != seqs[1] {
		t.Fatalf("first page = %v cursor %v", page, cursor)
	}
	page, cursor = feed(t, &s.prod, fmt.Sprintf("?after=%d&limit=2", int(cursor)))
	if fmt.Sprint(page) != "[token_id:t-1 user_id:bob]" || cursor != seqs[3] {
		t.Fatalf("second page = %v cursor %v", page, cursor)
	}
	page, cursor = feed(t, &s.prod, fmt.Sprintf("?after=%d", int(cursor)))
	if len(page) != 0 || cursor != seqs[3] {
		t.Fatalf("past the end = %v cursor %v, want the same cursor", page, cursor)
	}
	theirs, _ := feed(t, &other, "")
	if fmt.Sprint(theirs) != "[user_id:eve]" {
		t.Fatalf("other app's feed = %v", theirs)
	}
	// The development key reads the same app's feed.
	if dev, _ := feed(t, &s.dev, ""); len(dev) != 4 {
		t.Fatalf("development key's feed = %v", dev)
	}

	for _, tc := range []struct{ query, field string }{
		{"?after=-1", "after"}, {"?after=abc", "after"}, {"?limit=0", "limit"}, {"?limit=5000", "limit"}, {"?limit=x", "limit"},
	} {
		wantField(t, s.do(t, call{method: "GET", path: "/v1/revocations" + tc.query, basic: &s.prod}), tc.field)
	}
	if r := s.do(t, call{method: "GET", path: "/v1/revocations?limit=1000", basic: &s.prod}); r.status != http.StatusOK {
		t.Fatalf("limit=1000: %d %s", r.status, r.raw)
	}
	wantProblem(t, s.do(t, call{method: "GET", path: "/v1/revocations"}), http.StatusUnauthorized, "invalid_client")
}

// Revoking an API key through the authority kills every token it minted.
func TestRevokeAPIKeyThroughAuthority(t *testing.T) {
	s := newTestServer(t)
	key := s.newAPIKey(t, "production")
	tok := s.mint(t, &key, map[string]any{"user_id": "alice", "role": "viewer"})
	s.wantAllowed(t, tok, "stage", "consume")
	if err := s.auth.RevokeAPIKey(t.Context(), authority.AsOperator("test"), key.APIKey); err != nil {
		t.Fatal(err)
	}
	wantRevoked(t, s, tok, "stage")
	// The key's revocation is in the app's feed too.
	r := s.do(t, call{method: "GET", path: "/v1/revocations", basic: &s.prod})
	list, _ := r.body["revocations"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["kind"] != "api_key" || list[0].(map[string]any)["value"] != key.APIKey {
		t.Fatalf("feed = %s", r.raw)
	}
}

// An app revokes only its own tokens, even when it knows another app's
// token id.
func TestRevokeTokenIDOfAnotherApp(t *testing.T) {
	s := newTestServer(t)
	other := s.otherApp(t)
	victim := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer"})
	_, c := claimsOf(t, victim)
	r := s.do(t, call{method: "POST", path: "/v1/revocations", basic: &other, body: map[string]any{"token_id": c.ID}})
	if r.status != 201 {
		t.Fatalf("revoke by the other app: %d %s", r.status, r.raw)
	}
	s.wantAllowed(t, victim, "stage", "consume")
}
