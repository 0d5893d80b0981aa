package server

import (
	"context"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/api"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/token"
)

// adminRoute is one admin API route with a request that would succeed for
// an operator; other names its request by an app's owner on another app,
// or on the deployment, which must be refused with 403.
type adminRoute struct {
	method, path string
	body         any
	other        *call
}

// TestAdminRoutesRefuse sends every admin route that takes a console token
// no token, an access token (wrong audience), a console token forged with
// an API secret, an expired console token and a revoked one (401 each),
// and the request of an app's owner on another app (403), and checks that
// none of them wrote anything.
func TestAdminRoutesRefuse(t *testing.T) {
	s := newTestServer(t)
	expired := s.operator(t)
	s.clock.Advance(authority.ConsoleTokenTTL + time.Minute)
	op := s.operator(t)
	revoked := s.operator(t)
	own := s.owner(t, s.prod)
	other := s.otherApp(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	access := s.mint(t, &s.prod, map[string]any{"user_id": "vic", "role": "host"})
	foreign := s.mint(t, &other, map[string]any{"user_id": "olga", "role": "viewer"})
	_, oc := claimsOf(t, own)
	forged := s.partnerToken(t, s.prod, "production", token.Claims{Issuer: s.prod.APIKey, Subject: oc.Subject, Audience: authority.ConsoleAudience, ID: oc.ID, App: s.app})
	opSession := s.admin(t, op, call{method: "GET", path: "/v1/admin/sessions"}).body["sessions"].([]any)[0].(map[string]any)["id"].(string)
	_, rc := claimsOf(t, revoked)
	wantOK(t, s.admin(t, op, call{method: "DELETE", path: "/v1/admin/sessions/" + rc.ID}), http.StatusNoContent)

	app, otherApp := "/v1/admin/apps/"+s.app, "/v1/admin/apps/"+other.App
	on := func(method, path string, body any) *call { return &call{method: method, path: path, body: body} }
	routes := []adminRoute{
		{"POST", "/v1/admin/sessions/refresh", nil, nil},
		{"GET", "/v1/admin/sessions", nil, nil},
		{"DELETE", "/v1/admin/sessions/" + opSession, nil, on("DELETE", "/v1/admin/sessions/"+opSession, nil)},
		{"GET", "/v1/admin/apps", nil, nil},
		{"POST", "/v1/admin/apps", map[string]any{"name": "shop"}, on("POST", "/v1/admin/apps", map[string]any{"name": "shop"})},
		{"GET", app, nil, on("GET", otherApp, nil)},
		{"GET", app + "/keys", nil, on("GET", otherApp+"/keys", nil)},
		{"POST", app + "/keys", map[string]any{"kind": "production"}, on("POST", otherApp+"/keys", map[string]any{"kind": "production"})},
		{"DELETE", app + "/keys/" + s.dev.APIKey, nil, on("DELETE", otherApp+"/keys/"+other.APIKey, nil)},
		{"GET", app + "/roles", nil, on("GET", otherApp+"/roles", nil)},
		{"PUT", app + "/roles/usher", map[string]any{"permissions": []string{"consume"}, "rank": 5}, on("PUT", otherApp+"/roles/usher", map[string]any{"permissions": []string{"consume"}, "rank": 5})},
		{"DELETE", app + "/roles/usher", nil, on("DELETE", otherApp+"/roles/usher", nil)},
		{"GET", app + "/revocations", nil, on("GET", otherApp+"/revocations", nil)},
		{"POST", app + "/revocations", map[string]any{"user_id": "vic"}, on("POST", otherApp+"/revocations", map[string]any{"user_id": "olga"})},
		{"GET", app + "/rooms", nil, on("GET", otherApp+"/rooms", nil)},
		{"POST", app + "/rooms/stage/moderator-token", nil, on("POST", otherApp+"/rooms/stage/moderator-token", nil)},
		{"POST", app + "/tokens", map[string]any{"api_key": s.prod.APIKey, "user_id": "a", "role": "viewer"}, on("POST", otherApp+"/tokens", map[string]any{"api_key": other.APIKey, "user_id": "a", "role": "viewer"})},
		{"GET", app + "/livekit", nil, on("GET", otherApp+"/livekit", nil)},
		{"PUT", app + "/livekit", liveKitBody(testLiveKitURL, "lk_other", testLiveKitSecret), on("PUT", otherApp+"/livekit", liveKitBody(testLiveKitURL, "lk_other", testLiveKitSecret))},
		{"DELETE", app + "/livekit", nil, on("DELETE", otherApp+"/livekit", nil)},
		{"POST", "/v1/admin/inspect", map[string]any{"token": access}, on("POST", "/v1/admin/inspect", map[string]any{"token": foreign})},
		{"GET", "/v1/admin/signing-keys", nil, on("GET", "/v1/admin/signing-keys", nil)},
		{"POST", "/v1/admin/signing-keys/rotate", nil, on("POST", "/v1/admin/signing-keys/rotate", nil)},
		{"GET", "/v1/admin/audit", nil, on("GET", "/v1/admin/audit?app="+other.App, nil)},
	}
	covered(t, routes)

	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			c := call{method: rt.method, path: rt.path, body: rt.body}
			s.nothingWritten(t, func() {
				wantProblem(t, s.do(t, c), http.StatusUnauthorized, "invalid_token")
				for _, bad := range []struct{ name, tok, code string }{
					{"an access token", access, "wrong_audience"},
					{"a console token signed with an API secret", forged, "unknown_key"},
					{"an expired console token", expired, "expired"},
					{"a revoked console token", revoked, "revoked"},
					{"garbage", "garbage", "malformed"},
				} {
					t.Run(bad.name, func(t *testing.T) { wantProblem(t, s.admin(t, bad.tok, c), http.StatusUnauthorized, bad.code) })
				}
				if rt.other != nil {
					r := s.admin(t, own, *rt.other)
					if r.status != http.StatusForbidden || (r.body["code"] != "other_app" && r.body["code"] != "operator_only") {
						t.Fatalf("an owner on another app: %d %s, want 403", r.status, r.raw)
					}
					wantProblem(t, r, http.StatusForbidden, r.body["code"].(string))
				}
			})
		})
	}
}

// covered fails unless routes name every admin operation of the OpenAPI
// document that takes a console token, and the document every admin route
// the server serves.
func covered(t *testing.T, routes []adminRoute) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	(&Server{}).adminRoutes(func(pattern string, _ func(http.ResponseWriter, *http.Request) error) {
		method, path, _ := strings.Cut(pattern, " ")
		if item := doc.Paths.Find(path); item == nil || item.GetOperation(method) == nil {
			t.Errorf("%s is served but not in the OpenAPI document", pattern)
		}
	})
	for path, item := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/v1/admin/") || path == "/v1/admin/sessions" && len(item.Operations()) == 0 {
			continue
		}
		for method, op := range item.Operations() {
			if op.OperationID == "signIn" {
				continue
			}
			found := false
			for _, rt := range routes {
				found = found || rt.method == method && matchPath(path, strings.SplitN(rt.path, "?", 2)[0])
			}
			if !found {
				t.Errorf("%s %s is not in the refusal table", method, path)
			}
		}
	}
}

// matchPath reports whether path is an instance of the template.
func matchPath(template, path string) bool {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if !strings.HasPrefix(ts[i], "{") && ts[i] != ps[i] {
			return false
		}
	}
	return true
}

// The console mints only what it shows: a stagedoor token, never a
// LiveKit one or a format it does not know.
func TestAdminMintFormat(t *testing.T) {
	s := newTestServer(t)
	op := s.operator(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	s.nothingWritten(t, func() {
		for _, format := range []string{"livekit", "jwt"} {
			r := s.admin(t, op, call{method: "POST", path: "/v1/admin/apps/" + s.app + "/tokens",
				body: map[string]any{"api_key": s.prod.APIKey, "user_id": "a", "role": "viewer", "rooms": []string{"stage"}, "format": format}})
			wantProblem(t, r, http.StatusBadRequest, "invalid_request")
			if r.body["field"] != "format" || !strings.Contains(r.body["detail"].(string), format) {
				t.Fatalf("minting in format %s: %s", format, r.raw)
			}
		}
	})
}

// A console link works once: the second sign-in with its code is refused,
// and so is a code past its life.
func TestSignInOnce(t *testing.T) {
	s := newTestServer(t)
	code := s.loginCode(t, "alice")
	r := s.do(t, call{method: "POST", path: "/v1/admin/sessions", body: map[string]any{"code": code}})
	wantOK(t, r, http.StatusCreated)
	if r.body["session"].(map[string]any)["operator"] != "operator:alice" || r.body["expires_in"].(float64) != authority.ConsoleTokenTTL.Seconds() {
		t.Fatalf("sign-in: %s", r.raw)
	}
	h, c := claimsOf(t, r.body["access_token"].(string))
	if h.Alg != token.EdDSA || c.Audience != authority.ConsoleAudience || c.Subject != "operator:alice" || c.App != "" || c.ID != r.body["session"].(map[string]any)["id"] {
		t.Fatalf("console token %+v %+v", h, c)
	}
	again := s.do(t, call{method: "POST", path: "/v1/admin/sessions", body: map[string]any{"code": code}})
	wantProblem(t, again, http.StatusBadRequest, "invalid_grant")
	if again.body["field"] != "code" {
		t.Fatalf("the refusal names %v, want code", again.body["field"])
	}
	late := s.loginCode(t, "bob")
	s.clock.Advance(authority.DefaultLoginCodeTTL)
	wantProblem(t, s.do(t, call{method: "POST", path: "/v1/admin/sessions", body: map[string]any{"code": late}}), http.StatusBadRequest, "invalid_grant")
	if _, _, err := s.auth.CreateLoginCode(context.Background(), authority.AsOperator("cli"), "bad name", 0); err == nil {
		t.Fatal("a login code for a bad operator name")
	}
}

// A console token is refused wherever an access token is taken, and an
// access token by the admin API.
func TestConsoleTokenIsNoAccessToken(t *testing.T) {
	s := newTestServer(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	for _, tok := range []string{s.operator(t), s.owner(t, s.prod)} {
		r := s.do(t, call{method: "POST", path: "/v1/verify", bearer: tok, body: map[string]any{"permission": "consume"}})
		if r.status != http.StatusUnauthorized {
			t.Fatalf("verify with a console token: %d %s", r.status, r.raw)
		}
		if r := s.join(t, tok, "stage"); r.status != http.StatusUnauthorized {
			t.Fatalf("join with a console token: %d %s", r.status, r.raw)
		}
		r = s.do(t, call{method: "POST", path: "/v1/introspect", basic: &s.prod, body: map[string]any{"token": tok}})
		if r.status != http.StatusOK || r.body["active"] != false {
			t.Fatalf("introspect a console token: %d %s", r.status, r.raw)
		}
	}
}

// An owner sees and manages its app only; its session ends with its key,
// and a development key cannot sign in.
func TestOwnerSeesItsAppOnly(t *testing.T) {
	s := newTestServer(t)
	other := s.otherApp(t)
	own := s.owner(t, s.prod)
	r := s.admin(t, own, call{method: "GET", path: "/v1/admin/apps"})
	wantOK(t, r, http.StatusOK)
	if apps := r.body["apps"].([]any); len(apps) != 1 || apps[0].(map[string]any)["id"] != s.app {
		t.Fatalf("an owner lists %s", r.raw)
	}
	wantProblem(t, s.admin(t, own, call{method: "GET", path: "/v1/admin/apps/none"}), http.StatusForbidden, "other_app")
	wantProblem(t, s.admin(t, own, call{method: "GET", path: "/v1/admin/apps/" + other.App}), http.StatusForbidden, "other_app")
	r = s.admin(t, own, call{method: "GET", path: "/v1/admin/audit"})
	wantOK(t, r, http.StatusOK)
	for _, e := range r.body["entries"].([]any) {
		if e.(map[string]any)["app"] != s.app {
			t.Fatalf("an owner reads another app's entry %v", e)
		}
	}
	wantProblem(t, s.do(t, call{method: "POST", path: "/v1/admin/sessions", basic: &s.dev}), http.StatusForbidden, "development_key")

	key := s.newAPIKey(t, "production")
	second := s.owner(t, key)
	wantOK(t, s.admin(t, own, call{method: "DELETE", path: "/v1/admin/apps/" + s.app + "/keys/" + key.APIKey}), http.StatusNoContent)
	wantProblem(t, s.admin(t, second, call{method: "GET", path: "/v1/admin/apps"}), http.StatusUnauthorized, "revoked")
	wantOK(t, s.admin(t, own, call{method: "GET", path: "/v1/admin/apps"}), http.StatusOK)
}

// An API key holds at most MaxOwnerSessions sign-ins at once.
func TestOwnerSessionsCapped(t *testing.T) {
	s := newTestServer(t)
	for range authority.MaxOwnerSessions {
		s.owner(t, s.prod)
	}
	wantProblem(t, s.do(t, call{method: "POST", path: "/v1/admin/sessions", basic: &s.prod}), http.StatusConflict, "too_many_sessions")
}

// Refreshing keeps a session going; signing out ends its tokens.
func TestRefreshAndSignOut(t *testing.T) {
	s := newTestServer(t)
	tok := s.operator(t)
	_, c := claimsOf(t, tok)
	s.clock.Advance(10 * time.Minute)
	r := s.admin(t, tok, call{method: "POST", path: "/v1/admin/sessions/refresh"})
	wantOK(t, r, http.StatusCreated)
	fresh := r.body["access_token"].(string)
	_, fc := claimsOf(t, fresh)
	if fc.ID != c.ID || !fc.ExpiresAt.After(c.ExpiresAt) {
		t.Fatalf("refreshed %+v from %+v", fc, c)
	}
	s.clock.Advance(10 * time.Minute)
	wantProblem(t, s.admin(t, tok, call{method: "GET", path: "/v1/admin/apps"}), http.StatusUnauthorized, "expired")
	wantOK(t, s.admin(t, fresh, call{method: "GET", path: "/v1/admin/apps"}), http.StatusOK)
	wantOK(t, s.admin(t, fresh, call{method: "DELETE", path: "/v1/admin/sessions/" + c.ID}), http.StatusNoContent)
	wantProblem(t, s.admin(t, fresh, call{method: "GET", path: "/v1/admin/apps"}), http.StatusUnauthorized, "revoked")
	wantProblem(t, s.admin(t, fresh, call{method: "POST", path: "/v1/admin/sessions/refresh"}), http.StatusUnauthorized, "revoked")
}

// A session lasts ConsoleSessionLife however often it is refreshed.
func TestSessionEnds(t *testing.T) {
	s := newTestServer(t)
	tok := s.operator(t)
	for elapsed := time.Duration(0); elapsed < authority.ConsoleSessionLife-authority.ConsoleTokenTTL; elapsed += 10 * time.Minute {
		s.clock.Advance(10 * time.Minute)
		r := s.admin(t, tok, call{method: "POST", path: "/v1/admin/sessions/refresh"})
		wantOK(t, r, http.StatusCreated)
		tok = r.body["access_token"].(string)
	}
	_, c := claimsOf(t, tok)
	s.clock.Advance(c.ExpiresAt.Sub(s.clock.Now()) + time.Second)
	wantProblem(t, s.admin(t, tok, call{method: "POST", path: "/v1/admin/sessions/refresh"}), http.StatusUnauthorized, "expired")
	// Pruned, as the service does once a minute, the session still reads
	// as expired, not revoked.
	if _, err := s.store.PruneConsole(context.Background(), s.clock.Now()); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, s.admin(t, tok, call{method: "POST", path: "/v1/admin/sessions/refresh"}), http.StatusUnauthorized, "expired")
}

// Admin actions are audited with who acted in the console.
func TestAdminActionsAudited(t *testing.T) {
	s := newTestServer(t)
	op, own := s.operator(t), s.owner(t, s.prod)
	wantOK(t, s.admin(t, op, call{method: "POST", path: "/v1/admin/apps", body: map[string]any{"name": "shop"}}), http.StatusCreated)
	wantOK(t, s.admin(t, own, call{method: "POST", path: "/v1/admin/apps/" + s.app + "/keys", body: map[string]any{"kind": "development"}}), http.StatusCreated)
	wantOK(t, s.admin(t, own, call{method: "POST", path: "/v1/admin/apps/" + s.app + "/tokens",
		body: map[string]any{"api_key": s.prod.APIKey, "user_id": "alice", "role": "viewer"}}), http.StatusCreated)
	wantOK(t, s.admin(t, op, call{method: "POST", path: "/v1/admin/apps/" + s.app + "/revocations", body: map[string]any{"user_id": "alice"}}), http.StatusCreated)
	page, err := s.auth.Audit(context.Background(), authority.AuditQuery{OldestFirst: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range page.Entries {
		got[e.Action] = e.Actor
	}
	ownerName := "owner:" + s.prod.APIKey
	for action, actor := range map[string]string{
		"console.login_code": "cli", "console.sign_in": ownerName, "app.create": "operator:alice", "key.create": ownerName,
		"token.mint": ownerName, "revocation.create": "operator:alice",
	} {
		if got[action] != actor {
			t.Errorf("%s audited as %q, want %q", action, got[action], actor)
		}
	}
}

// The inspector says why a token is valid or not, in words, and what it
// allows room by room, moderators' changes included.
func TestInspect(t *testing.T) {
	s := newTestServer(t)
	op := s.operator(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	tok := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "guest", "rooms": []string{"stage", "lobby"}})
	id := s.joined(t, tok, "stage", "joined")
	host := s.user(t, "hana", "host")
	wantOK(t, s.patch(t, host, "stage", id, map[string]any{"role": "viewer"}), http.StatusOK)
	inspect := func(tok string, extra map[string]any) reply {
		body := map[string]any{"token": tok}
		for k, v := range extra {
			body[k] = v
		}
		r := s.admin(t, op, call{method: "POST", path: "/v1/admin/inspect", body: body})
		wantOK(t, r, http.StatusOK)
		return r
	}

	r := inspect(tok, nil)
	if r.body["valid"] != true || r.body["signature"] != "verified" || r.body["revoked"] != false || r.body["app"] != s.app ||
		!strings.Contains(r.body["signed_by"].(string), "EdDSA") {
		t.Fatalf("a valid token: %s", r.raw)
	}
	rights := r.body["rights"].([]any)
	if len(rights) != 2 {
		t.Fatalf("rights %v", rights)
	}
	stage, lobby := rights[0].(map[string]any), rights[1].(map[string]any)
	if stage["room"] != "stage" || strings.Join(list(stage["permissions"]), ",") != "consume,room.join" || !strings.Contains(stage["reason"].(string), id) {
		t.Fatalf("rights in stage, where a moderator made it a viewer: %v", stage)
	}
	if lobby["room"] != "lobby" || lobby["allowed"] != true || !contains(list(lobby["permissions"]), "produce.camera") {
		t.Fatalf("rights in lobby: %v", lobby)
	}

	wantOK(t, s.do(t, call{method: "DELETE", path: "/v1/rooms/stage/sessions/" + id + "?block=true", bearer: host}), http.StatusOK)
	r = inspect(tok, nil)
	if stage := r.body["rights"].([]any)[0].(map[string]any); stage["allowed"] != false || !strings.Contains(stage["reason"].(string), "blocked") {
		t.Fatalf("rights of a blocked participant: %v", stage)
	}

	wantOK(t, s.admin(t, op, call{method: "POST", path: "/v1/admin/apps/" + s.app + "/revocations", body: map[string]any{"user_id": "alice"}}), http.StatusCreated)
	r = inspect(tok, nil)
	if r.body["valid"] != false || r.body["revoked"] != true || r.body["reason"] != "revoked" ||
		!strings.Contains(r.body["explanation"].(string), "every token of user alice") || len(r.body["rights"].([]any)) != 0 {
		t.Fatalf("a revoked token: %s", r.raw)
	}

	partner := s.partnerToken(t, s.prod, "production", token.Claims{Subject: "bob", Grants: token.Grants{Role: "viewer", Permissions: []string{"consume", "room.join"}}})
	r = inspect(partner, map[string]any{"secret": s.prod.Secret})
	if r.body["valid"] != true || r.body["signature"] != "verified" || !strings.Contains(r.body["signed_by"].(string), "secret given") {
		t.Fatalf("a partner token with its secret: %s", r.raw)
	}
	if rights := r.body["rights"].([]any); len(rights) != 1 || rights[0].(map[string]any)["room"] != nil {
		t.Fatalf("rights of a token of any room: %v", rights)
	}
	r = inspect(partner, map[string]any{"secret": strings.Repeat("x", 40)})
	if r.body["signature"] != "bad_signature" || r.body["valid"] != true {
		t.Fatalf("a partner token with another secret: %s", r.raw)
	}
	r = inspect(flipSignature(partner), nil)
	if r.body["valid"] != false || r.body["signature"] != "bad_signature" || !strings.Contains(r.body["explanation"].(string), "signature") {
		t.Fatalf("a forged token: %s", r.raw)
	}
	s.clock.Advance(time.Hour)
	op = s.operator(t)
	r = inspect(partner, nil)
	if r.body["valid"] != false || r.body["reason"] != "expired" || r.body["signature"] != "verified" || !strings.Contains(r.body["explanation"].(string), "expired at") {
		t.Fatalf("an expired token: %s", r.raw)
	}
	r = inspect("not.a.token", nil)
	if r.body["valid"] != false || r.body["signature"] != "malformed" || !strings.Contains(r.body["explanation"].(string), "not a token") {
		t.Fatalf("garbage: %s", r.raw)
	}
	r = inspect(op, nil)
	if r.body["valid"] != true || r.body["audience"] != "admin" {
		t.Fatalf("a console token: %s", r.raw)
	}
	gone := s.operator(t)
	_, gc := claimsOf(t, gone)
	wantOK(t, s.admin(t, gone, call{method: "DELETE", path: "/v1/admin/sessions/" + gc.ID}), http.StatusNoContent)
	key := s.newAPIKey(t, access.Production)
	ownerGone := s.owner(t, key)
	wantOK(t, s.admin(t, op, call{method: "DELETE", path: "/v1/admin/apps/" + s.app + "/keys/" + key.APIKey}), http.StatusNoContent)
	for tok, why := range map[string]string{
		gone:      "its console session " + gc.ID + " was signed out at",
		ownerGone: "API key " + key.APIKey + ", which its console session",
	} {
		r = inspect(tok, nil)
		if r.body["valid"] != false || r.body["revoked"] != true || r.body["reason"] != "revoked" || r.body["signature"] != "verified" ||
			!strings.HasPrefix(r.body["explanation"].(string), why) || r.body["revoked_by"] != r.body["explanation"] {
			t.Fatalf("the token of an ended console session: %s", r.raw)
		}
	}
	r = s.admin(t, op, call{method: "POST", path: "/v1/admin/inspect", body: map[string]any{"token": partner, "secret": "short"}})
	wantProblem(t, r, http.StatusBadRequest, "invalid_request")
	if r.body["field"] != "secret" {
		t.Fatalf("a short secret: %s", r.raw)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// The console moderates a room with a moderator token from the admin API,
// through the rooms API as any moderator.
func TestModeratorToken(t *testing.T) {
	s := newTestServer(t)
	op := s.operator(t)
	s.newRoom(t, map[string]any{"name": "stage"})
	s.newRoom(t, map[string]any{"name": "hall"})
	r := s.admin(t, op, call{method: "GET", path: "/v1/admin/apps/" + s.app + "/rooms?limit=1"})
	wantOK(t, r, http.StatusOK)
	if rooms := r.body["rooms"].([]any); len(rooms) != 1 || rooms[0].(map[string]any)["name"] != "hall" || r.body["next"] != "hall" {
		t.Fatalf("first page of rooms: %s", r.raw)
	}
	r = s.admin(t, op, call{method: "GET", path: "/v1/admin/apps/" + s.app + "/rooms?after=hall"})
	if rooms := r.body["rooms"].([]any); len(rooms) != 1 || rooms[0].(map[string]any)["name"] != "stage" || r.body["next"] != nil {
		t.Fatalf("second page of rooms: %s", r.raw)
	}

	kim := s.user(t, "kim", s.askJoiner(t))
	kimID := s.joined(t, kim, "stage", "waiting")
	r = s.admin(t, op, call{method: "POST", path: "/v1/admin/apps/" + s.app + "/rooms/stage/moderator-token"})
	wantOK(t, r, http.StatusCreated)
	mod := r.body["access_token"].(string)
	_, c := claimsOf(t, mod)
	if c.Subject != "operator:alice" || c.Grants.Role != "host" || strings.Join(c.Grants.Rooms, ",") != "stage" || c.Issuer != s.prod.APIKey {
		t.Fatalf("moderator token %+v", c)
	}
	wantOK(t, s.do(t, call{method: "POST", path: "/v1/rooms/stage/sessions/" + kimID + "/admit", bearer: mod}), http.StatusOK)
	if r := s.do(t, call{method: "GET", path: "/v1/rooms/hall", bearer: mod}); r.status != http.StatusForbidden {
		t.Fatalf("the moderator token in another room: %d", r.status)
	}

	bare := s.otherApp(t)
	wantOK(t, s.admin(t, op, call{method: "DELETE", path: "/v1/admin/apps/" + bare.App + "/keys/" + bare.APIKey}), http.StatusNoContent)
	wantProblem(t, s.admin(t, op, call{method: "POST", path: "/v1/admin/apps/" + bare.App + "/rooms/stage/moderator-token"}), http.StatusConflict, "no_production_key")
}

// A role lists what it may grant: no higher rank, nothing it lacks.
func TestRolesMayGrant(t *testing.T) {
	s := newTestServer(t)
	op := s.operator(t)
	r := s.admin(t, op, call{method: "PUT", path: "/v1/admin/apps/" + s.app + "/roles/usher",
		body: map[string]any{"permissions": []string{"room.join", "consume", "moderate.admit"}, "rank": 15}})
	wantOK(t, r, http.StatusOK)
	if r.body["builtin"] != false || r.body["rank"].(float64) != 15 || strings.Join(list(r.body["may_grant"]), ",") != "usher,bot,viewer" {
		t.Fatalf("usher: %s", r.raw)
	}
	r = s.admin(t, op, call{method: "GET", path: "/v1/admin/apps/" + s.app + "/roles"})
	for _, x := range r.body["roles"].([]any) {
		role := x.(map[string]any)
		switch role["name"] {
		case "co-host":
			if contains(list(role["may_grant"]), "host") || !contains(list(role["may_grant"]), "co-host") {
				t.Fatalf("co-host may grant %v", role["may_grant"])
			}
		case "private-broadcaster":
			if role["room_type"] != "private" || role["max_producers"].(float64) != 1 {
				t.Fatalf("private-broadcaster %v", role)
			}
		}
	}
	r = s.admin(t, op, call{method: "PUT", path: "/v1/admin/apps/" + s.app + "/roles/usher", body: map[string]any{"permissions": []string{"consume"}, "rank": 101}})
	wantProblem(t, r, http.StatusBadRequest, "invalid_request")
	if r.body["field"] != "rank" {
		t.Fatalf("the refusal names %v, want rank", r.body["field"])
	}
}

// Keys list what they may mint; a new key's secret is answered once and
// works.
func TestAdminKeys(t *testing.T) {
	s := newTestServer(t)
	op := s.operator(t)
	r := s.admin(t, op, call{method: "POST", path: "/v1/admin/apps/" + s.app + "/keys", body: map[string]any{"kind": "development"}})
	wantOK(t, r, http.StatusCreated)
	k := authority.NewKey{APIKey: r.body["api_key"].(string), Secret: r.body["api_secret"].(string)}
	s.mint(t, &k, map[string]any{"user_id": "a", "role": "viewer"})
	r = s.admin(t, op, call{method: "GET", path: "/v1/admin/apps/" + s.app + "/keys"})
	if strings.Contains(string(r.raw), k.Secret) {
		t.Fatal("the key list shows a secret")
	}
	for _, x := range r.body["keys"].([]any) {
		key := x.(map[string]any)
		dev := key["kind"] == "development"
		if dev != (key["max_ttl_seconds"].(float64) == access.MaxTTLDevelopment.Seconds()) || dev == contains(list(key["may_grant"]), "moderate.kick") {
			t.Fatalf("key %v", key)
		}
	}
}

// Refusals that store nothing: a sign-in whose code is unknown creates no
// session.
func TestSignInRefusedStoresNothing(t *testing.T) {
	s := newTestServer(t)
	s.nothingWritten(t, func() {
		r := s.do(t, call{method: "POST", path: "/v1/admin/sessions", body: map[string]any{"code": "sdc_" + rand.Text()}})
		wantProblem(t, r, http.StatusBadRequest, "invalid_grant")
		r = s.do(t, call{method: "POST", path: "/v1/admin/sessions", body: `{"code":1}`})
		wantProblem(t, r, http.StatusBadRequest, "invalid_request")
	})
}

// The console is served below /console/ with its policy; /console goes
// there; other methods answer 405 as everywhere.
func TestConsoleServed(t *testing.T) {
	s := newTestServer(t)
	r := s.do(t, call{method: "GET", path: "/console/"})
	if r.status != http.StatusOK || !strings.Contains(string(r.raw), `<script type="module" src="js/main.js">`) ||
		!strings.HasPrefix(r.header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("GET /console/: %d %v", r.status, r.header)
	}
	req := s.request(t, call{method: "GET", path: "/console"})
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/console/" {
		t.Fatalf("GET /console: %d %v", res.StatusCode, res.Header)
	}
	r = s.do(t, call{method: "POST", path: "/console/"})
	wantProblem(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
	wantProblem(t, s.do(t, call{method: "GET", path: "/console/nope.js"}), http.StatusNotFound, "not_found")
}
