package server

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/token"
)

func TestVerifyAllowed(t *testing.T) {
	s := newTestServer(t)
	tok := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer", "rooms": []string{"stage"}, "participant_id": "alice-1"})
	r := s.do(t, call{method: "POST", path: "/v1/verify", bearer: tok, body: map[string]any{"room": "stage", "permission": "consume", "participant_id": "alice-1"}})
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	b := r.body
	if b["allowed"] != true || b["sub"] != "alice" || b["app"] != s.app || b["role"] != "viewer" ||
		strings.Join(toStrings(b["permissions"]), " ") != "consume room.join" ||
		strings.Join(toStrings(b["rooms"]), " ") != "stage" || b["participant"] != "alice-1" {
		t.Fatalf("verify = %s", r.raw)
	}
	wantTime(t, b["expires_at"], s.clock.Now().Add(10*time.Minute))

	// Without a room or participant the permission alone is checked, and
	// the Bearer scheme is case-insensitive.
	r = s.do(t, call{method: "POST", path: "/v1/verify", body: map[string]any{"permission": "room.join"}, header: map[string]string{"Authorization": "bearer " + tok}})
	if r.status != http.StatusOK || r.body["allowed"] != true {
		t.Fatalf("no room: %d %s", r.status, r.raw)
	}
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestVerifyRejections(t *testing.T) {
	s := newTestServer(t)
	body := map[string]any{"user_id": "alice", "role": "viewer", "rooms": []string{"stage"}, "participant_id": "alice-1"}
	tok := s.mint(t, &s.prod, body)
	revoked := s.mint(t, &s.prod, body)
	_, rc := claimsOf(t, revoked)
	if r := s.do(t, call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"token_id": rc.ID}}); r.status != http.StatusCreated {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	stranger, err := token.GenerateSigningKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, c := claimsOf(t, tok)
	unknownKid, err := token.Mint(stranger, c)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	_, oc := claimsOf(t, s.mint(t, &s.prod, map[string]any{"user_id": "mallory", "role": "host"}))
	forgedPayload, err := token.Mint(stranger, oc)
	if err != nil {
		t.Fatal(err)
	}
	swapped := parts[0] + "." + strings.Split(forgedPayload, ".")[1] + "." + parts[2]

	for _, tc := range []struct {
		name    string
		c       call
		status  int
		code    string
		field   string
		missing string
	}{
		{"no bearer", call{body: map[string]any{"permission": "consume"}}, 401, "invalid_token", "", ""},
		{"basic instead of bearer", call{basic: &s.prod, body: map[string]any{"permission": "consume"}}, 401, "invalid_token", "", ""},
		{"malformed", call{bearer: "not-a-token", body: map[string]any{"permission": "consume"}}, 401, "malformed", "", ""},
		{"two segments", call{bearer: parts[0] + "." + parts[1], body: map[string]any{"permission": "consume"}}, 401, "malformed", "", ""},
		{"bad signature", call{bearer: flipSignature(tok), body: map[string]any{"permission": "consume"}}, 401, "bad_signature", "", ""},
		{"payload of another token", call{bearer: swapped, body: map[string]any{"permission": "consume"}}, 401, "bad_signature", "", ""},
		{"unknown kid", call{bearer: unknownKid, body: map[string]any{"permission": "consume"}}, 401, "unknown_key", "", ""},
		{"revoked", call{bearer: revoked, body: map[string]any{"room": "stage", "permission": "consume"}}, 401, "revoked", "", ""},
		{"missing permission", call{bearer: tok, body: map[string]any{"room": "stage", "permission": "produce.camera"}}, 403, "missing_permission", "", "produce.camera"},
		{"room mismatch", call{bearer: tok, body: map[string]any{"room": "backstage", "permission": "consume"}}, 403, "room_mismatch", "", ""},
		{"participant mismatch", call{bearer: tok, body: map[string]any{"room": "stage", "permission": "consume", "participant_id": "bob-1"}}, 403, "participant_mismatch", "", ""},
		{"unknown permission", call{bearer: tok, body: map[string]any{"room": "stage", "permission": "fly"}}, 400, "invalid_request", "permission", ""},
		{"no permission", call{bearer: tok, body: map[string]any{"room": "stage"}}, 400, "invalid_request", "permission", ""},
		{"unknown field", call{bearer: tok, body: map[string]any{"permission": "consume", "rooom": "stage"}}, 400, "invalid_request", "rooom", ""},
		{"wrong content type", call{bearer: tok, body: "permission=consume", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "unsupported_media_type", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.method, c.path = "POST", "/v1/verify"
			r := s.do(t, c)
			wantProblem(t, r, tc.status, tc.code)
			if r.body["field"] != nil && r.body["field"] != tc.field || tc.field != "" && r.body["field"] != tc.field {
				t.Fatalf("field = %v, want %q", r.body["field"], tc.field)
			}
			wa := r.header.Get("WWW-Authenticate")
			switch tc.status {
			case 401:
				if !strings.HasPrefix(wa, `Bearer realm="stagedoor"`) {
					t.Fatalf("WWW-Authenticate = %q", wa)
				}
				if tc.code != "invalid_token" && !strings.Contains(wa, `error="invalid_token"`) {
					t.Fatalf("WWW-Authenticate = %q, want error=invalid_token", wa)
				}
			case 403:
				if !strings.Contains(wa, `error="insufficient_scope"`) {
					t.Fatalf("WWW-Authenticate = %q", wa)
				}
			}
			if tc.missing != "" {
				if r.body["missing_permission"] != tc.missing || !strings.Contains(wa, `scope="`+tc.missing+`"`) {
					t.Fatalf("missing permission: body %s, WWW-Authenticate %q", r.raw, wa)
				}
			} else if _, ok := r.body["missing_permission"]; ok {
				t.Fatalf("missing_permission on %s: %s", tc.code, r.raw)
			}
		})
	}
}

func TestVerifyExpired(t *testing.T) {
	s := newTestServer(t)
	tok := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer", "ttl_seconds": 60})
	s.wantAllowed(t, tok, "stage", "consume")
	// The leeway of 30 s keeps a just-expired token alive...
	s.clock.Advance(60*time.Second + 29*time.Second)
	s.wantAllowed(t, tok, "stage", "consume")
	// ...and no longer.
	s.clock.Advance(2 * time.Second)
	wantProblem(t, s.verify(t, tok, "stage", "consume"), http.StatusUnauthorized, "expired")
}

// NativeFrame's table: who may produce and who may only consume.
func TestNativeFrameScopes(t *testing.T) {
	s := newTestServer(t)
	for _, tc := range []struct {
		role    string
		produce bool
	}{
		{"broadcaster", true},
		{"private-broadcaster", true},
		{"private-viewer", true},
		{"conference-owner", true},
		{"conference-participant", true},
		{"viewer", false},
		{"admin", false},
	} {
		t.Run(tc.role, func(t *testing.T) {
			tok := s.mint(t, &s.prod, map[string]any{"user_id": "u-" + tc.role, "role": tc.role, "rooms": []string{"show"}})
			s.wantAllowed(t, tok, "show", "consume")
			s.wantAllowed(t, tok, "show", "room.join")
			for _, p := range []string{"produce.camera", "produce.microphone", "produce.screen"} {
				r := s.verify(t, tok, "show", p)
				if tc.produce {
					if r.status != http.StatusOK {
						t.Fatalf("%s may not %s: %d %s", tc.role, p, r.status, r.raw)
					}
					continue
				}
				wantProblem(t, r, http.StatusForbidden, "missing_permission")
				if r.body["missing_permission"] != p {
					t.Fatalf("missing_permission = %v, want %s", r.body["missing_permission"], p)
				}
			}
			r := s.verify(t, tok, "show", "room.create")
			wantCreate := tc.role == "broadcaster" || tc.role == "private-broadcaster" || tc.role == "conference-owner"
			if (r.status == http.StatusOK) != wantCreate {
				t.Fatalf("room.create for %s: %d %s", tc.role, r.status, r.raw)
			}
		})
	}
}

func TestVerifyPartnerMintedHS256(t *testing.T) {
	s := newTestServer(t)
	grants := token.Grants{Role: "broadcaster", Permissions: []string{"consume", "produce.camera", "room.join"}, Rooms: []string{"stage"}}

	t.Run("production key, app omitted or equal", func(t *testing.T) {
		for _, app := range []string{"", s.app} {
			tok := s.partnerToken(t, s.prod, access.Production, token.Claims{Subject: "alice", Audience: "rtc", App: app, Grants: grants})
			if h, _ := claimsOf(t, tok); h.Alg != "HS256" || h.Kid != s.prod.APIKey {
				t.Fatalf("header = %+v", h)
			}
			r := s.verify(t, tok, "stage", "produce.camera")
			if r.status != http.StatusOK || r.body["app"] != s.app || r.body["sub"] != "alice" {
				t.Fatalf("app %q: %d %s", app, r.status, r.raw)
			}
			wantProblem(t, s.verify(t, tok, "stage", "moderate.kick"), http.StatusForbidden, "missing_permission")
		}
	})

	t.Run("another app's claim", func(t *testing.T) {
		other := s.otherApp(t)
		otherApp := other.App
		tok := s.partnerToken(t, s.prod, access.Production, token.Claims{Subject: "alice", App: otherApp, Grants: grants})
		wantProblem(t, s.verify(t, tok, "stage", "consume"), http.StatusUnauthorized, "wrong_app")
	})

	t.Run("wrong secret", func(t *testing.T) {
		forged := s.prod
		forged.Secret = strings.Repeat("f", 43)
		tok := s.partnerToken(t, forged, access.Production, token.Claims{Subject: "alice", Grants: grants})
		wantProblem(t, s.verify(t, tok, "stage", "consume"), http.StatusUnauthorized, "bad_signature")
	})

	t.Run("unknown key id", func(t *testing.T) {
		ghost := s.prod
		ghost.APIKey = "sdk_ghost"
		tok := s.partnerToken(t, ghost, access.Production, token.Claims{Subject: "alice", Grants: grants})
		wantProblem(t, s.verify(t, tok, "stage", "consume"), http.StatusUnauthorized, "unknown_key")
	})

	t.Run("development key must mark dev", func(t *testing.T) {
		tok := s.partnerToken(t, s.dev, access.Development, token.Claims{Subject: "dora", Grants: grants})
		if _, c := claimsOf(t, tok); !c.Dev {
			t.Fatal("token.Mint did not mark a development key's token")
		}
		s.wantAllowed(t, tok, "stage", "produce.camera")
		// The same secret posing as a production key leaves dev out.
		undeclared := s.partnerToken(t, s.dev, access.Production, token.Claims{Subject: "dora", Grants: grants})
		if _, c := claimsOf(t, undeclared); c.Dev {
			t.Fatal("dev set without a development key")
		}
		wantProblem(t, s.verify(t, undeclared, "stage", "consume"), http.StatusUnauthorized, "malformed")
	})

	t.Run("unknown permission in the token", func(t *testing.T) {
		tok := s.foreignToken(t, s.prod, `{"role":"x","permissions":["consume","teleport"]}`)
		wantProblem(t, s.verify(t, tok, "stage", "consume"), http.StatusUnauthorized, "malformed")
	})

	t.Run("role no app could define", func(t *testing.T) {
		grants := func(role string) string { return `{"role":` + strconv.Quote(role) + `,"permissions":["consume"]}` }
		// Without the app's catalog at hand, a role that some app could
		// define passes, as does no role at all.
		for _, role := range []string{"no-such-role", ""} {
			s.wantAllowed(t, s.foreignToken(t, s.prod, grants(role)), "stage", "consume")
		}
		for _, role := range []string{"HOST", "co host"} {
			wantProblem(t, s.verify(t, s.foreignToken(t, s.prod, grants(role)), "stage", "consume"), http.StatusUnauthorized, "malformed")
		}
	})

	t.Run("revoked API key", func(t *testing.T) {
		key := s.newAPIKey(t, access.Production)
		partner := s.partnerToken(t, key, access.Production, token.Claims{Subject: "alice", Grants: grants})
		service := s.mint(t, &key, map[string]any{"user_id": "alice", "role": "broadcaster"})
		s.wantAllowed(t, partner, "stage", "consume")
		s.wantAllowed(t, service, "stage", "consume")
		if err := s.auth.RevokeAPIKey(context.Background(), authority.AsOperator("test"), key.APIKey); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, s.verify(t, partner, "stage", "consume"), http.StatusUnauthorized, "revoked")
		wantProblem(t, s.verify(t, service, "stage", "consume"), http.StatusUnauthorized, "revoked")
		wantProblem(t, s.mintReply(t, &key, map[string]any{"user_id": "alice", "role": "viewer"}), http.StatusUnauthorized, "invalid_client")
		// Other keys' tokens are untouched.
		s.wantAllowed(t, s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer"}), "stage", "consume")
	})
}

func TestIntrospect(t *testing.T) {
	s := newTestServer(t)
	tok := s.mint(t, &s.prod, map[string]any{"user_id": "alice", "role": "viewer", "rooms": []string{"stage"}, "name": "Alice", "metadata": map[string]any{"seat": 4}})
	_, c := claimsOf(t, tok)
	form := func(key *authority.NewKey, v string) call {
		return call{method: "POST", path: "/v1/introspect", basic: key, body: url.Values{"token": {v}}.Encode(),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}
	}
	prod := &s.prod

	for _, name := range []string{"form", "json"} {
		t.Run(name, func(t *testing.T) {
			var r reply
			if name == "form" {
				r = s.do(t, form(prod, tok))
			} else {
				r = s.do(t, call{method: "POST", path: "/v1/introspect", basic: &s.prod, body: map[string]any{"token": tok, "token_type_hint": "access_token"}})
			}
			b := r.body
			if r.status != http.StatusOK || b["active"] != true {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			if b["sub"] != "alice" || b["aud"] != "rtc" || b["iss"] != s.prod.APIKey || b["client_id"] != s.prod.APIKey ||
				b["jti"] != c.ID || b["app"] != s.app || b["token_type"] != "Bearer" ||
				b["iat"] != float64(c.IssuedAt.Unix()) || b["exp"] != float64(c.ExpiresAt.Unix()) || b["nbf"] != float64(c.NotBefore.Unix()) ||
				b["scope"] != "consume room.join" {
				t.Fatalf("introspection = %s", r.raw)
			}
			g, _ := b["grants"].(map[string]any)
			if g["role"] != "viewer" || !slices.Equal(toStrings(g["permissions"]), []string{"consume", "room.join"}) || !slices.Equal(toStrings(g["rooms"]), []string{"stage"}) {
				t.Fatalf("grants = %v", b["grants"])
			}
			u, _ := b["user"].(map[string]any)
			if meta, _ := u["metadata"].(map[string]any); len(u) != 3 || u["type"] != "authenticated" || u["name"] != "Alice" || meta["seat"] != float64(4) {
				t.Fatalf("user = %v, want the token's user claim", b["user"])
			}
			if _, ok := b["dev"]; ok {
				t.Fatalf("production token introspected as dev: %s", r.raw)
			}
		})
	}

	inactive := func(t *testing.T, tok string) {
		t.Helper()
		r := s.do(t, form(prod, tok))
		if r.status != http.StatusOK || r.body["active"] != false || len(r.body) != 1 {
			t.Fatalf("want only active:false, got %d %s", r.status, r.raw)
		}
	}
	t.Run("development token", func(t *testing.T) {
		dev := s.mint(t, &s.dev, map[string]any{"user_id": "dora", "role": "viewer"})
		r := s.do(t, form(prod, dev))
		if r.body["active"] != true || r.body["dev"] != true {
			t.Fatalf("%s", r.raw)
		}
		// An unbound token's grants name no rooms and no participant.
		g, _ := r.body["grants"].(map[string]any)
		if len(g) != 2 || g["role"] != "viewer" {
			t.Fatalf("grants = %v", r.body["grants"])
		}
	})
	t.Run("another app's token", func(t *testing.T) {
		other := s.otherApp(t)
		inactive(t, s.mint(t, &other, map[string]any{"user_id": "alice", "role": "viewer"}))
		// The other app sees its own token, and not ours.
		r := s.do(t, call{method: "POST", path: "/v1/introspect", basic: &other, body: map[string]any{"token": tok}})
		if r.status != http.StatusOK || r.body["active"] != false {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("garbage", func(t *testing.T) { inactive(t, "garbage") })
	t.Run("forged", func(t *testing.T) { inactive(t, flipSignature(tok)) })
	t.Run("revoked", func(t *testing.T) {
		victim := s.mint(t, &s.prod, map[string]any{"user_id": "victim", "role": "viewer"})
		if r := s.do(t, form(prod, victim)); r.body["active"] != true {
			t.Fatalf("before revocation: %s", r.raw)
		}
		s.clock.Advance(time.Second)
		if r := s.do(t, call{method: "POST", path: "/v1/revocations", basic: &s.prod, body: map[string]any{"user_id": "victim"}}); r.status != http.StatusCreated {
			t.Fatalf("revoke: %d %s", r.status, r.raw)
		}
		inactive(t, victim)
	})
	t.Run("expired", func(t *testing.T) {
		s.clock.Advance(10*time.Minute + 31*time.Second)
		inactive(t, tok)
	})
	t.Run("failures", func(t *testing.T) {
		wantProblem(t, s.do(t, form(nil, tok)), http.StatusUnauthorized, "invalid_client")
		r := s.do(t, call{method: "POST", path: "/v1/introspect", bearer: tok, body: map[string]any{"token": tok}})
		wantProblem(t, r, http.StatusUnauthorized, "invalid_client")
		wantField(t, s.do(t, form(prod, "")), "token")
		wantProblem(t, s.do(t, form(prod, strings.Repeat("t", 65<<10))), http.StatusRequestEntityTooLarge, "too_large")
		wantField(t, s.do(t, call{method: "POST", path: "/v1/introspect", basic: &s.prod, body: map[string]any{}}), "token")
		wantField(t, s.do(t, call{method: "POST", path: "/v1/introspect", basic: &s.prod, body: map[string]any{"tokn": tok}}), "tokn")
		r = s.do(t, call{method: "POST", path: "/v1/introspect", basic: &s.prod, body: tok, header: map[string]string{"Content-Type": "text/plain"}})
		wantProblem(t, r, http.StatusUnsupportedMediaType, "unsupported_media_type")
	})
}
