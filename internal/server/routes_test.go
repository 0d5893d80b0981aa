package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/authority"
)

func TestJWKS(t *testing.T) {
	s := newTestServer(t)
	r := s.do(t, call{method: "GET", path: "/.well-known/jwks.json"})
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" || r.header.Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("%d %v", r.status, r.header)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(r.raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 2 {
		t.Fatalf("%d keys, want current and next: %s", len(doc.Keys), r.raw)
	}
	for _, k := range doc.Keys {
		if k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["alg"] != "EdDSA" || k["use"] != "sig" || k["kid"] == "" || k["x"] == "" {
			t.Fatalf("key = %v", k)
		}
		if _, ok := k["d"]; ok {
			t.Fatalf("private key published: %v", k)
		}
	}
	set := jwksOf(t, s)
	before := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer"})
	oldKid, _ := claimsOf(t, before)

	newKid, err := s.auth.RotateSigningKey(t.Context(), authority.AsOperator("test"))
	if err != nil {
		t.Fatal(err)
	}
	if newKid == oldKid.Kid {
		t.Fatal("rotation kept the signing key")
	}
	if len(set.Key(newKid)) != 1 {
		t.Fatalf("the new signing key %s was not published before the rotation as the next key", newKid)
	}
	rotated := jwksOf(t, s)
	if len(rotated.Keys) != 3 || len(rotated.Key(oldKid.Kid)) != 1 || len(rotated.Key(newKid)) != 1 {
		t.Fatalf("after rotation: %d keys", len(rotated.Keys))
	}
	after := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer"})
	if h, _ := claimsOf(t, after); h.Kid != newKid {
		t.Fatalf("new token kid %s, want %s", h.Kid, newKid)
	}
	s.wantAllowed(t, before, "stage", "consume")
	s.wantAllowed(t, after, "stage", "consume")
	// Offline verifiers holding the published set accept both.
	for _, tok := range []string{before, after} {
		if _, err := verifyWithGolangJWT(s, rotated, tok); err != nil {
			t.Fatalf("golang-jwt after rotation: %v", err)
		}
	}

	// Once no token it signed can be alive, the retired key is withdrawn.
	// The authority withdraws it on its next refresh.
	_, changed := s.auth.JWKSChanged()
	s.clock.Advance(24*time.Hour + time.Minute)
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatalf("retired key still published: %d keys", len(jwksOf(t, s).Keys))
	}
	if set := jwksOf(t, s); len(set.Keys) != 2 || len(set.Key(oldKid.Kid)) != 0 || len(set.Key(newKid)) != 1 {
		t.Fatal("the wrong key was withdrawn")
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	s := newTestServer(t)
	for _, path := range []string{"/nope", "/v1/nope", "/v1/tokens/extra", "/"} {
		r := s.do(t, call{method: "GET", path: path})
		wantProblem(t, r, http.StatusNotFound, "not_found")
	}
	for _, tc := range []struct{ method, path, allow string }{
		{"GET", "/v1/tokens", "POST, OPTIONS"},
		{"DELETE", "/v1/tokens", "POST, OPTIONS"},
		{"GET", "/v1/verify", "POST"},
		{"PUT", "/v1/revocations", "GET, POST"},
		{"POST", "/.well-known/jwks.json", "GET"},
		{"POST", "/healthz", "GET"},
		{"DELETE", "/openapi.json", "GET"},
	} {
		r := s.do(t, call{method: tc.method, path: tc.path})
		wantProblem(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
		if got := r.header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
}

func TestHealthReadyMetricsOpenAPI(t *testing.T) {
	s := newTestServer(t)
	if r := s.do(t, call{method: "GET", path: "/healthz"}); r.status != http.StatusOK || r.body["status"] != "ok" {
		t.Fatalf("healthz: %d %s", r.status, r.raw)
	}
	if r := s.do(t, call{method: "GET", path: "/readyz"}); r.status != http.StatusOK || r.body["status"] != "ready" {
		t.Fatalf("readyz: %d %s", r.status, r.raw)
	}

	tok := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer"})
	s.wantAllowed(t, tok, "stage", "consume")
	s.verify(t, tok, "stage", "produce.camera")
	wrong := s.prod
	wrong.Secret += "x"
	s.mintReply(t, &wrong, map[string]any{"user_id": "alice", "role": "viewer"})
	r := s.do(t, call{method: "GET", path: "/metrics"})
	if r.status != http.StatusOK {
		t.Fatalf("metrics: %d", r.status)
	}
	text := string(r.raw)
	for _, line := range []string{
		`stagedoor_tokens_minted_total{kind="token"} 1`,
		`stagedoor_verifications_total{outcome="allowed"} 1`,
		`stagedoor_verifications_total{outcome="missing_permission"} 1`,
		`stagedoor_api_key_auth_failures_total 1`,
		`stagedoor_http_request_duration_seconds_count{code="201",route="POST /v1/tokens"} 1`,
		`stagedoor_http_request_duration_seconds_count{code="401",route="POST /v1/tokens"} 1`,
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("metrics lack %q", line)
		}
	}

	r = s.do(t, call{method: "GET", path: "/openapi.json"})
	var doc map[string]any
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" || json.Unmarshal(r.raw, &doc) != nil {
		t.Fatalf("openapi.json: %d %q", r.status, r.header.Get("Content-Type"))
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("openapi = %v", doc["openapi"])
	}
	if paths, _ := doc["paths"].(map[string]any); paths["/v1/tokens"] == nil {
		t.Fatal("openapi.json does not describe /v1/tokens")
	}
}
