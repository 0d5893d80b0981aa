package server

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/golang-jwt/jwt/v5"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/problem"
)

// wantField checks a 400 problem naming field.
func wantField(t *testing.T, r reply, field string) {
	t.Helper()
	wantProblem(t, r, http.StatusBadRequest, "invalid_request")
	if r.body["field"] != field {
		t.Fatalf("field = %v, want %q (%s)", r.body["field"], field, r.raw)
	}
}

// wantTime parses an RFC 3339 member of a JSON answer and compares it.
func wantTime(t *testing.T, v any, want time.Time) {
	t.Helper()
	s, _ := v.(string)
	got, err := time.Parse(time.RFC3339, s)
	if err != nil || !got.Equal(want) {
		t.Fatalf("time %v, want %s (%v)", v, want.UTC().Format(time.RFC3339), err)
	}
}

// hostPermissions are the permissions of a production host's media token:
// everything but room.ask_join and the api.* permissions, sorted.
var hostPermissions = []string{
	"broadcast.manage", "consume", "data.receive", "data.send", "invite", "metadata.update",
	"moderate.admit", "moderate.kick", "moderate.mute", "moderate.permissions",
	"produce.camera", "produce.microphone", "produce.screen", "room.create", "room.join",
}

func TestCreateTokenAnswer(t *testing.T) {
	s := newTestServer(t)
	r := s.mintReply(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer"})
	if r.status != http.StatusCreated {
		t.Fatalf("status %d %s", r.status, r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	if tok, _ := r.body["access_token"].(string); strings.Count(tok, ".") != 2 {
		t.Errorf("access_token = %v", r.body["access_token"])
	}
	if r.body["token_type"] != "Bearer" {
		t.Errorf("token_type = %v", r.body["token_type"])
	}
	if r.body["expires_in"] != float64(600) {
		t.Errorf("expires_in = %v, want the default 600", r.body["expires_in"])
	}
	wantTime(t, r.body["expires_at"], s.clock.Now().Add(600*time.Second))
	if _, ok := r.body["refresh_token"]; ok {
		t.Errorf("refresh_token without refresh: %s", r.raw)
	}

	r = s.mintReply(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer", "ttl_seconds": 900, "refresh": true})
	if r.status != http.StatusCreated || r.body["expires_in"] != float64(900) {
		t.Fatalf("ttl 900: %d %s", r.status, r.raw)
	}
	wantTime(t, r.body["expires_at"], s.clock.Now().Add(900*time.Second))
	if rt, _ := r.body["refresh_token"].(string); !strings.HasPrefix(rt, "sdr_") {
		t.Fatalf("refresh_token = %v", r.body["refresh_token"])
	}
}

func TestCreateTokenClaims(t *testing.T) {
	s := newTestServer(t)
	tok := s.mint(t, &s.prod, map[string]any{
		"user_id": "alice", "role": "host", "rooms": []string{"stage", "green-room"}, "participant_id": "alice-phone",
		"name": "Alice", "image": "https://img.example/alice.png", "metadata": map[string]any{"seat": 4},
	})
	h, c := claimsOf(t, tok)
	if h.Alg != "EdDSA" || h.Kid == "" {
		t.Errorf("header = %+v", h)
	}
	now := s.clock.Now()
	switch {
	case c.Issuer != s.prod.APIKey:
		t.Errorf("iss = %q, want the API key %q", c.Issuer, s.prod.APIKey)
	case c.App != s.app:
		t.Errorf("app = %q, want %q", c.App, s.app)
	case c.Subject != "alice":
		t.Errorf("sub = %q", c.Subject)
	case c.Audience != "rtc":
		t.Errorf("aud = %q", c.Audience)
	case c.ID == "":
		t.Error("no jti")
	case !c.IssuedAt.Equal(now) || !c.ExpiresAt.Equal(now.Add(10*time.Minute)):
		t.Errorf("iat %s exp %s, want %s + 10m", c.IssuedAt, c.ExpiresAt, now)
	case c.Dev:
		t.Error("production token marked dev")
	case c.Grants.Role != "host":
		t.Errorf("role = %q", c.Grants.Role)
	case !slices.Equal(c.Grants.Permissions, hostPermissions):
		t.Errorf("permissions = %v, want %v", c.Grants.Permissions, hostPermissions)
	case !slices.Equal(c.Grants.Rooms, []string{"stage", "green-room"}):
		t.Errorf("rooms = %v", c.Grants.Rooms)
	case c.Grants.Participant != "alice-phone":
		t.Errorf("participant = %q", c.Grants.Participant)
	case c.User == nil || c.User.Type != "authenticated" || c.User.Name != "Alice" ||
		c.User.Image != "https://img.example/alice.png" || string(c.User.Metadata) != `{"seat":4}`:
		t.Errorf("user = %+v", c.User)
	}

	// Extra permissions come on top of the role, still sorted.
	tok = s.mint(t, &s.prod, map[string]any{"user_id": "bob", "role": "viewer", "permissions": []string{"data.send", "produce.microphone"}})
	if _, c := claimsOf(t, tok); !slices.Equal(c.Grants.Permissions, []string{"consume", "data.send", "produce.microphone", "room.join"}) {
		t.Errorf("viewer + extras = %v", c.Grants.Permissions)
	}
	// A null metadata is no metadata.
	tok = s.mint(t, &s.prod, map[string]any{"user_id": "bob", "role": "viewer", "metadata": nil})
	if _, c := claimsOf(t, tok); c.User != nil {
		t.Errorf("null metadata made a user claim: %+v", c.User)
	}
	// A plain user carries no user claim and no rooms.
	if _, c := claimsOf(t, tok); c.User != nil || c.Grants.Rooms != nil {
		t.Errorf("plain user: user %+v rooms %v", c.User, c.Grants.Rooms)
	}
}

// jwksOf fetches the JWKS document and parses it with go-jose.
func jwksOf(t *testing.T, s *testServer) jose.JSONWebKeySet {
	t.Helper()
	r := s.do(t, call{method: "GET", path: "/.well-known/jwks.json"})
	if r.status != http.StatusOK {
		t.Fatalf("jwks: %d %s", r.status, r.raw)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.raw, &set); err != nil {
		t.Fatalf("jwks %s: %v", r.raw, err)
	}
	return set
}

// verifyWithGolangJWT verifies tok with golang-jwt v5, keys from set.
func verifyWithGolangJWT(s *testServer, set jose.JSONWebKeySet, tok string) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(tk *jwt.Token) (any, error) {
		kid, _ := tk.Header["kid"].(string)
		keys := set.Key(kid)
		if len(keys) != 1 {
			return nil, fmt.Errorf("kid %q: %d keys in the JWKS", kid, len(keys))
		}
		pub, ok := keys[0].Key.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("kid %q is a %T", kid, keys[0].Key)
		}
		return pub, nil
	}, jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithIssuer(s.prod.APIKey), jwt.WithAudience("rtc"),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(s.clock.Now))
	return claims, err
}

type joseExtra struct {
	App    string `json:"app"`
	Grants struct {
		Role        string   `json:"role"`
		Permissions []string `json:"permissions"`
		Rooms       []string `json:"rooms"`
	} `json:"grants"`
}

// verifyWithGoJOSE verifies tok with go-jose v4 against the whole set.
func verifyWithGoJOSE(s *testServer, set jose.JSONWebKeySet, tok string) (joseExtra, error) {
	var extra joseExtra
	parsed, err := josejwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return extra, err
	}
	var std josejwt.Claims
	if err := parsed.Claims(set, &std, &extra); err != nil {
		return extra, err
	}
	return extra, std.ValidateWithLeeway(josejwt.Expected{Issuer: s.prod.APIKey, AnyAudience: josejwt.Audience{"rtc"}, Time: s.clock.Now()}, 0)
}

// The Done-means item: a minted token verifies with two independent JWT
// libraries given nothing but the JWKS document.
func TestTokenVerifiesWithJWTLibrariesFromJWKS(t *testing.T) {
	s := newTestServer(t)
	tok := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer", "rooms": []string{"stage"}})
	set := jwksOf(t, s)

	claims, err := verifyWithGolangJWT(s, set, tok)
	if err != nil {
		t.Fatalf("golang-jwt: %v", err)
	}
	if claims["sub"] != "alice" || claims["app"] != s.app {
		t.Errorf("golang-jwt claims = %v", claims)
	}
	grants, _ := claims["grants"].(map[string]any)
	if grants["role"] != "viewer" || fmt.Sprint(grants["permissions"]) != "[consume room.join]" || fmt.Sprint(grants["rooms"]) != "[stage]" {
		t.Errorf("golang-jwt grants = %v", grants)
	}

	extra, err := verifyWithGoJOSE(s, set, tok)
	if err != nil {
		t.Fatalf("go-jose: %v", err)
	}
	if extra.App != s.app || extra.Grants.Role != "viewer" || !slices.Equal(extra.Grants.Permissions, []string{"consume", "room.join"}) {
		t.Errorf("go-jose claims = %+v", extra)
	}

	// Both libraries really check: a forged signature, a key set without
	// the signing key and an expired token all fail.
	forged := flipSignature(tok)
	if _, err := verifyWithGolangJWT(s, set, forged); err == nil {
		t.Error("golang-jwt accepted a forged signature")
	}
	if _, err := verifyWithGoJOSE(s, set, forged); err == nil {
		t.Error("go-jose accepted a forged signature")
	}
	empty := jose.JSONWebKeySet{}
	if _, err := verifyWithGolangJWT(s, empty, tok); err == nil {
		t.Error("golang-jwt verified without the key")
	}
	if _, err := verifyWithGoJOSE(s, empty, tok); err == nil {
		t.Error("go-jose verified without the key")
	}
	s.clock.Advance(11 * time.Minute)
	if _, err := verifyWithGolangJWT(s, set, tok); err == nil {
		t.Error("golang-jwt accepted an expired token")
	}
	if _, err := verifyWithGoJOSE(s, set, tok); err == nil {
		t.Error("go-jose accepted an expired token")
	}
}

// flipSignature changes one character in the middle of tok's signature.
func flipSignature(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 10
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

func TestCreateTokenAnonymous(t *testing.T) {
	s := newTestServer(t)
	tok := s.mint(t, &s.prod, map[string]any{"user_type": "anonymous", "role": "viewer", "rooms": []string{"stage"}})
	_, c := claimsOf(t, tok)
	if c.Subject != "!anon" || c.User == nil || c.User.Type != "anonymous" {
		t.Fatalf("sub %q user %+v", c.Subject, c.User)
	}
	if !slices.Equal(c.Grants.Permissions, []string{"consume", "room.join"}) || !slices.Equal(c.Grants.Rooms, []string{"stage"}) {
		t.Fatalf("grants = %+v", c.Grants)
	}
	s.wantAllowed(t, tok, "stage", "consume")
	wantProblem(t, s.verify(t, tok, "other", "consume"), http.StatusForbidden, "room_mismatch")
	// The anonymous subject may be spelled out.
	s.mint(t, &s.prod, map[string]any{"user_type": "anonymous", "user_id": "!anon", "role": "viewer", "rooms": []string{"stage"}})

	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
		field  string
	}{
		{"no rooms", map[string]any{"user_type": "anonymous", "role": "viewer"}, 400, "invalid_request", "rooms"},
		{"a user id", map[string]any{"user_type": "anonymous", "user_id": "bob", "role": "viewer", "rooms": []string{"stage"}}, 400, "invalid_request", "user_id"},
		{"a producing role", map[string]any{"user_type": "anonymous", "role": "broadcaster", "rooms": []string{"stage"}}, 403, "anonymous_limit", ""},
		{"an extra permission", map[string]any{"user_type": "anonymous", "role": "viewer", "rooms": []string{"stage"}, "permissions": []string{"data.send"}}, 403, "anonymous_limit", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.nothingWritten(t, func() {
				r := s.mintReply(t, &s.prod, tc.body)
				wantProblem(t, r, tc.status, tc.code)
				if tc.field != "" && r.body["field"] != tc.field {
					t.Fatalf("field = %v, want %s", r.body["field"], tc.field)
				}
			})
		})
	}
}

func TestCreateTokenDevelopmentKey(t *testing.T) {
	s := newTestServer(t)
	tok := s.mint(t, &s.dev, map[string]any{"user_id": "dora", "role": "host"})
	_, c := claimsOf(t, tok)
	if !c.Dev {
		t.Error("development token without dev:true")
	}
	if c.Issuer != s.dev.APIKey {
		t.Errorf("iss = %q", c.Issuer)
	}
	for _, p := range c.Grants.Permissions {
		if strings.HasPrefix(p, "moderate.") || p == "invite" || p == "broadcast.manage" || p == "api.write" {
			t.Errorf("development host holds %s", p)
		}
	}
	if !slices.Contains(c.Grants.Permissions, "produce.camera") {
		t.Errorf("development host lost produce.camera: %v", c.Grants.Permissions)
	}
	s.wantAllowed(t, tok, "stage", "produce.camera")
	r := s.verify(t, tok, "stage", "moderate.kick")
	wantProblem(t, r, http.StatusForbidden, "missing_permission")

	// The development cap is one hour.
	if r := s.mintReply(t, &s.dev, map[string]any{"user_id": "dora", "role": "viewer", "ttl_seconds": 3600}); r.status != http.StatusCreated {
		t.Fatalf("ttl 3600: %d %s", r.status, r.raw)
	}
	s.nothingWritten(t, func() {
		wantField(t, s.mintReply(t, &s.dev, map[string]any{"user_id": "dora", "role": "viewer", "ttl_seconds": 3601}), "ttl_seconds")
		r := s.mintReply(t, &s.dev, map[string]any{"user_id": "dora", "role": "viewer", "permissions": []string{"moderate.kick"}})
		wantProblem(t, r, http.StatusForbidden, "development_limit")
		if !strings.Contains(r.body["detail"].(string), "moderate.kick") {
			t.Fatalf("detail does not name moderate.kick: %s", r.raw)
		}
	})
}

func TestCreateTokenFailures(t *testing.T) {
	s := newTestServer(t)
	revoked := s.newAPIKey(t, access.Production)
	if err := s.auth.RevokeAPIKey(context.Background(), authority.AsOperator("test"), revoked.APIKey); err != nil {
		t.Fatal(err)
	}
	wrong := s.prod
	wrong.Secret += "x"
	unknown := authority.NewKey{APIKey: "sdk_nobody", Secret: s.prod.Secret}
	viewer := map[string]any{"user_id": "alice", "role": "viewer"}
	with := func(kv ...any) map[string]any {
		m := map[string]any{"user_id": "alice", "role": "viewer"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	big := `{"user_id":"` + strings.Repeat("a", 65<<10) + `","role":"viewer"}`

	for _, tc := range []struct {
		name   string
		c      call
		status int
		code   string
		field  string
	}{
		{"no credentials", call{body: viewer}, 401, "invalid_client", ""},
		{"a bearer token instead", call{body: viewer, bearer: "abc"}, 401, "invalid_client", ""},
		{"wrong secret", call{basic: &wrong, body: viewer}, 401, "invalid_client", ""},
		{"unknown key", call{basic: &unknown, body: viewer}, 401, "invalid_client", ""},
		{"revoked key", call{basic: &revoked, body: viewer}, 401, "invalid_client", ""},
		{"unknown role", call{body: with("role", "emperor")}, 400, "invalid_request", "role"},
		{"no role", call{body: map[string]any{"user_id": "alice"}}, 400, "invalid_request", "role"},
		{"unknown permission", call{body: with("permissions", []string{"fly"})}, 400, "invalid_request", "permissions"},
		{"unknown field", call{body: with("colour", "blue")}, 400, "invalid_request", "colour"},
		{"malformed JSON", call{body: `{"user_id": "alice",`}, 400, "invalid_request", "body"},
		{"trailing data", call{body: `{"user_id":"alice","role":"viewer"} {}`}, 400, "invalid_request", "body"},
		{"wrong JSON type", call{body: with("ttl_seconds", "long")}, 400, "invalid_request", "ttl_seconds"},
		{"wrong content type", call{body: `user_id=alice`, header: map[string]string{"Content-Type": "text/plain"}}, 415, "unsupported_media_type", ""},
		{"body over 64 KiB", call{body: big}, 413, "too_large", ""},
		{"ttl over the production cap", call{body: with("ttl_seconds", 86401)}, 400, "invalid_request", "ttl_seconds"},
		{"negative ttl", call{body: with("ttl_seconds", -5)}, 400, "invalid_request", "ttl_seconds"},
		{"metadata not JSON", call{body: `{"user_id":"alice","role":"viewer","metadata":{seat}}`}, 400, "invalid_request", "metadata"},
		{"metadata too large", call{body: with("metadata", strings.Repeat("m", 5000))}, 400, "invalid_request", "metadata"},
		{"no user_id", call{body: map[string]any{"role": "viewer"}}, 400, "invalid_request", "user_id"},
		{"user_id too long", call{body: with("user_id", strings.Repeat("u", 129))}, 400, "invalid_request", "user_id"},
		{"name with a control character", call{body: with("name", "Al\x07ice")}, 400, "invalid_request", "name"},
		{"empty room list", call{body: with("rooms", []string{})}, 400, "invalid_request", "rooms"},
		{"empty room name", call{body: with("rooms", []string{""})}, 400, "invalid_request", "rooms"},
		{"duplicate room", call{body: with("rooms", []string{"stage", "stage"})}, 400, "invalid_request", "rooms"},
		{"room with a control character", call{body: with("rooms", []string{"stage"})}, 400, "invalid_request", "rooms"},
		{"an array body", call{body: `[{"user_id":"alice","role":"viewer"}]`}, 400, "invalid_request", "body"},
		{"unknown user type", call{body: with("user_type", "robot")}, 400, "invalid_request", "user_type"},
		{"unknown audience", call{body: with("audience", "sfu")}, 400, "invalid_request", "audience"},
		{"api audience for a media role", call{body: with("audience", "api")}, 403, "audience_mismatch", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.method, c.path = "POST", "/v1/tokens"
			if c.basic == nil && c.bearer == "" && tc.name != "no credentials" {
				c.basic = &s.prod
			}
			s.nothingWritten(t, func() {
				r := s.do(t, c)
				wantProblem(t, r, tc.status, tc.code)
				if tc.field != "" && r.body["field"] != tc.field {
					t.Fatalf("field = %v, want %q: %s", r.body["field"], tc.field, r.raw)
				}
				if r.body["status"] != float64(tc.status) || r.body["type"] != problem.TypeBase+tc.code || r.body["title"] != http.StatusText(tc.status) {
					t.Fatalf("problem members: %s", r.raw)
				}
				if tc.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic ") {
					t.Fatalf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
				}
			})
		})
	}

	// Type errors speak JSON, not Go.
	r := s.mintReply(t, &s.prod, with("ttl_seconds", "long"))
	if r.body["detail"] != "ttl_seconds: must be an integer" {
		t.Errorf("detail = %v", r.body["detail"])
	}
	r = s.mintReply(t, &s.prod, with("rooms", "stage"))
	if r.body["detail"] != "rooms: must be an array" || r.body["field"] != "rooms" {
		t.Errorf("detail = %v", r.body["detail"])
	}

	// The production cap itself is allowed.
	if r := s.mintReply(t, &s.prod, with("ttl_seconds", 86400)); r.status != http.StatusCreated || r.body["expires_in"] != float64(86400) {
		t.Fatalf("ttl 86400: %d %s", r.status, r.raw)
	}
}

func TestCORS(t *testing.T) {
	s := newTestServer(t)
	origin := "https://app.example"
	for _, path := range []string{"/v1/tokens", "/v1/guests"} {
		r := s.do(t, call{method: "OPTIONS", path: path, header: map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type",
		}})
		if r.status != http.StatusNoContent {
			t.Fatalf("preflight %s: %d %s", path, r.status, r.raw)
		}
		h := r.header
		if h.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Content-Type") ||
			h.Get("Access-Control-Max-Age") == "" || h.Get("Vary") != "Origin" {
			t.Fatalf("preflight %s headers: %v", path, h)
		}
	}
	if r := s.do(t, call{method: "OPTIONS", path: "/v1/tokens"}); r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight without Origin: %d %v", r.status, r.header)
	}

	body := map[string]any{"user_id": "alice", "role": "viewer"}
	hdr := map[string]string{"Origin": origin}
	r := s.do(t, call{method: "POST", path: "/v1/tokens", basic: &s.dev, body: body, header: hdr})
	if r.status != http.StatusCreated || r.header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("development key: %d ACAO %q", r.status, r.header.Get("Access-Control-Allow-Origin"))
	}
	// A browser may read a development key's errors too.
	r = s.do(t, call{method: "POST", path: "/v1/tokens", basic: &s.dev, body: map[string]any{"role": "viewer"}, header: hdr})
	if r.status != http.StatusBadRequest || r.header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("development key error: %d ACAO %q", r.status, r.header.Get("Access-Control-Allow-Origin"))
	}
	r = s.do(t, call{method: "POST", path: "/v1/guests", basic: &s.dev, body: map[string]any{"name": "Gus"}, header: hdr})
	if r.status != http.StatusCreated || r.header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("development guest: %d ACAO %q", r.status, r.header.Get("Access-Control-Allow-Origin"))
	}
	for _, path := range []string{"/v1/tokens", "/v1/guests"} {
		b := any(body)
		if path == "/v1/guests" {
			b = map[string]any{"name": "Gus"}
		}
		r = s.do(t, call{method: "POST", path: path, basic: &s.prod, body: b, header: hdr})
		if r.status != http.StatusCreated || r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("production key on %s: %d ACAO %q", path, r.status, r.header.Get("Access-Control-Allow-Origin"))
		}
	}
}
