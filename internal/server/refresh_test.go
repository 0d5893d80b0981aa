package server

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/revocation"
)

// refresh posts a refresh token to /v1/tokens/refresh.
func (s *testServer) refresh(t *testing.T, rt string) reply {
	t.Helper()
	return s.do(t, call{method: "POST", path: "/v1/tokens/refresh", body: map[string]any{"refresh_token": rt}})
}

// mintWithRefresh mints an access token and its refresh token.
func (s *testServer) mintWithRefresh(t *testing.T, body map[string]any) (access, refresh string) {
	t.Helper()
	body["refresh"] = true
	r := s.mintReply(t, &s.prod, body)
	if r.status != http.StatusCreated {
		t.Fatalf("mint: %d %s", r.status, r.raw)
	}
	return r.body["access_token"].(string), r.body["refresh_token"].(string)
}

// rotated checks a refresh answer and returns its new tokens.
func rotated(t *testing.T, r reply) (access, refresh string) {
	t.Helper()
	if r.status != http.StatusCreated || r.body["token_type"] != "Bearer" || r.body["expires_in"] != float64(600) {
		t.Fatalf("refresh: %d %s", r.status, r.raw)
	}
	access, _ = r.body["access_token"].(string)
	refresh, _ = r.body["refresh_token"].(string)
	if access == "" || !strings.HasPrefix(refresh, "sdr_") {
		t.Fatalf("refresh answer: %s", r.raw)
	}
	return access, refresh
}

func TestRefreshRotation(t *testing.T) {
	s := newTestServer(t)
	a1, r1 := s.mintWithRefresh(t, map[string]any{"user_id": "alice", "role": "speaker", "rooms": []string{"stage"}, "name": "Alice"})
	s.clock.Advance(5 * time.Minute)
	a2, r2 := rotated(t, s.refresh(t, r1))
	if a2 == a1 || r2 == r1 {
		t.Fatal("refresh returned the same tokens")
	}
	_, c1 := claimsOf(t, a1)
	_, c2 := claimsOf(t, a2)
	if c2.Subject != "alice" || c2.Grants.Role != "speaker" || !slices.Equal(c2.Grants.Rooms, []string{"stage"}) ||
		!slices.Equal(c2.Grants.Permissions, c1.Grants.Permissions) || c2.User == nil || c2.User.Name != "Alice" {
		t.Fatalf("refreshed claims = %+v", c2)
	}
	if !c2.IssuedAt.Equal(s.clock.Now()) || !c2.ExpiresAt.Equal(s.clock.Now().Add(10*time.Minute)) {
		t.Fatalf("refreshed times iat %s exp %s", c2.IssuedAt, c2.ExpiresAt)
	}
	family := revocation.FamilyOf(c1.ID)
	if family == "" || revocation.FamilyOf(c2.ID) != family || c1.ID == c2.ID {
		t.Fatalf("jti %q and %q are not of one family", c1.ID, c2.ID)
	}
	s.wantAllowed(t, a2, "stage", "produce.microphone")
	// Both access tokens stay valid until a reuse.
	s.wantAllowed(t, a1, "stage", "consume")
	a3, r3 := rotated(t, s.refresh(t, r2))

	// Presenting a used refresh token again revokes the whole family.
	revs := s.revocationCount(t)
	r := s.refresh(t, r1)
	wantProblem(t, r, http.StatusBadRequest, "refresh_reused")
	if got := s.revocationCount(t); got != revs+1 {
		t.Fatalf("revocations %d, want %d", got, revs+1)
	}
	for _, a := range []string{a1, a2, a3} {
		wantProblem(t, s.verify(t, a, "stage", "consume"), http.StatusUnauthorized, "revoked")
	}
	wantProblem(t, s.refresh(t, r3), http.StatusBadRequest, "invalid_grant")
	wantProblem(t, s.refresh(t, r2), http.StatusBadRequest, "invalid_grant")
	// Alice's other tokens are untouched.
	s.wantAllowed(t, s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "speaker"}), "stage", "consume")
}

func TestRefreshOtherFamilyUntouched(t *testing.T) {
	s := newTestServer(t)
	_, r1 := s.mintWithRefresh(t, map[string]any{"user_id": "alice", "role": "viewer"})
	b1, q1 := s.mintWithRefresh(t, map[string]any{"user_id": "alice", "role": "viewer"})
	rotated(t, s.refresh(t, r1))
	wantProblem(t, s.refresh(t, r1), http.StatusBadRequest, "refresh_reused")
	s.wantAllowed(t, b1, "stage", "consume")
	b2, _ := rotated(t, s.refresh(t, q1))
	s.wantAllowed(t, b2, "stage", "consume")
}

// A refresh mints from the app's roles as they are now.
func TestRefreshUsesCurrentRoles(t *testing.T) {
	s := newTestServer(t)
	ctx := context.Background()
	if _, err := s.auth.SetRole(ctx, authority.AsOperator("test"), s.app, "stagehand", []string{"room.join", "consume"}, 20); err != nil {
		t.Fatal(err)
	}
	a1, r1 := s.mintWithRefresh(t, map[string]any{"user_id": "sam", "role": "stagehand"})
	wantProblem(t, s.verify(t, a1, "stage", "data.send"), http.StatusForbidden, "missing_permission")
	if _, err := s.auth.SetRole(ctx, authority.AsOperator("test"), s.app, "stagehand", []string{"room.join", "consume", "data.send"}, 20); err != nil {
		t.Fatal(err)
	}
	a2, _ := rotated(t, s.refresh(t, r1))
	s.wantAllowed(t, a2, "stage", "data.send")
}

func TestRefreshFailures(t *testing.T) {
	t.Run("request", func(t *testing.T) {
		s := newTestServer(t)
		for _, tc := range []struct {
			name   string
			body   any
			status int
			code   string
			field  string
		}{
			{"unknown refresh token", map[string]any{"refresh_token": "sdr_nonsense"}, 400, "invalid_grant", ""},
			{"missing field", map[string]any{}, 400, "invalid_request", "refresh_token"},
			{"empty body", nil, 400, "invalid_request", "refresh_token"},
			{"unknown field", map[string]any{"refresh_token": "x", "grant_type": "refresh_token"}, 400, "invalid_request", "grant_type"},
			{"wrong type", map[string]any{"refresh_token": 7}, 400, "invalid_request", "refresh_token"},
			{"malformed", `{"refresh_token":`, 400, "invalid_request", "body"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s.nothingWritten(t, func() {
					r := s.do(t, call{method: "POST", path: "/v1/tokens/refresh", body: tc.body})
					wantProblem(t, r, tc.status, tc.code)
					if tc.field != "" && r.body["field"] != tc.field {
						t.Fatalf("field = %v, want %q", r.body["field"], tc.field)
					}
				})
			})
		}
		r := s.do(t, call{method: "POST", path: "/v1/tokens/refresh", body: "refresh_token=x", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
		wantProblem(t, r, http.StatusUnsupportedMediaType, "unsupported_media_type")
	})

	t.Run("expired", func(t *testing.T) {
		s := newTestServer(t)
		_, rt := s.mintWithRefresh(t, map[string]any{"user_id": "alice", "role": "viewer"})
		_, fresh := s.mintWithRefresh(t, map[string]any{"user_id": "alice", "role": "viewer"})
		s.clock.Advance(7*24*time.Hour - time.Second)
		_, fresh = rotated(t, s.refresh(t, fresh))
		s.clock.Advance(time.Second)
		wantProblem(t, s.refresh(t, rt), http.StatusBadRequest, "invalid_grant")
		s.clock.Advance(8 * 24 * time.Hour)
		wantProblem(t, s.refresh(t, fresh), http.StatusBadRequest, "invalid_grant")
	})

	t.Run("development refresh lives a day", func(t *testing.T) {
		s := newTestServer(t)
		r := s.mintReply(t, &s.dev, map[string]any{"user_id": "dora", "role": "viewer", "refresh": true})
		if r.status != http.StatusCreated {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		rt := r.body["refresh_token"].(string)
		s.clock.Advance(24 * time.Hour)
		wantProblem(t, s.refresh(t, rt), http.StatusBadRequest, "invalid_grant")
	})

	t.Run("user revoked", func(t *testing.T) {
		s := newTestServer(t)
		_, alice := s.mintWithRefresh(t, map[string]any{"user_id": "alice", "role": "viewer"})
		_, bob := s.mintWithRefresh(t, map[string]any{"user_id": "bob", "role": "viewer"})
		s.clock.Advance(time.Minute)
		if r := s.do(t, call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"user_id": "alice"}}); r.status != http.StatusCreated {
			t.Fatalf("revoke: %d %s", r.status, r.raw)
		}
		wantProblem(t, s.refresh(t, alice), http.StatusBadRequest, "invalid_grant")
		rotated(t, s.refresh(t, bob))
	})

	t.Run("room revoked", func(t *testing.T) {
		s := newTestServer(t)
		_, bound := s.mintWithRefresh(t, map[string]any{"user_id": "alice", "role": "viewer", "rooms": []string{"stage"}})
		_, elsewhere := s.mintWithRefresh(t, map[string]any{"user_id": "alice", "role": "viewer", "rooms": []string{"lobby"}})
		if r := s.do(t, call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"room": "stage"}}); r.status != http.StatusCreated {
			t.Fatalf("revoke: %d %s", r.status, r.raw)
		}
		wantProblem(t, s.refresh(t, bound), http.StatusBadRequest, "invalid_grant")
		rotated(t, s.refresh(t, elsewhere))
	})

	t.Run("API key revoked", func(t *testing.T) {
		s := newTestServer(t)
		_, rt := s.mintWithRefresh(t, map[string]any{"user_id": "alice", "role": "viewer"})
		if err := s.auth.RevokeAPIKey(context.Background(), authority.AsOperator("test"), s.prod.APIKey); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, s.refresh(t, rt), http.StatusBadRequest, "invalid_grant")
	})
}
