package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

// mintArgs are the arguments of token mint with the test API key.
func mintArgs(extra ...string) []string {
	return append([]string{"token", "mint", "--api-key", testKeyID, "--api-secret", testSecret}, extra...)
}

// clearKeyEnv keeps the caller's environment out of the mint tests.
func clearKeyEnv(t *testing.T) {
	t.Setenv("STAGEDOOR_API_KEY", "")
	t.Setenv("STAGEDOOR_API_SECRET", "")
}

func TestMint(t *testing.T) {
	clearKeyEnv(t)
	hostRTC := []string{"broadcast.manage", "consume", "data.receive", "data.send", "invite", "metadata.update",
		"moderate.admit", "moderate.kick", "moderate.mute", "moderate.permissions",
		"produce.camera", "produce.microphone", "produce.screen", "room.create", "room.join"}
	tests := []struct {
		name  string
		args  []string
		dev   bool
		check func(t *testing.T, c *token.Claims)
	}{
		{
			name: "host bound to rooms and a participant",
			args: mintArgs("--user", "alice", "--role", "host", "--room", "standup", "--room", "retro", "--participant", "alice-laptop"),
			check: func(t *testing.T, c *token.Claims) {
				want(t, "role", c.Grants.Role, "host")
				want(t, "permissions", strings.Join(c.Grants.Permissions, ","), strings.Join(hostRTC, ","))
				want(t, "rooms", strings.Join(c.Grants.Rooms, ","), "standup,retro")
				want(t, "participant", c.Grants.Participant, "alice-laptop")
				want(t, "sub", c.Subject, "alice")
				want(t, "iss", c.Issuer, testKeyID)
				want(t, "aud", c.Audience, access.AudienceRTC)
				if c.User != nil || c.Dev || c.App != "" {
					t.Errorf("user %+v, dev %v, app %q: want none", c.User, c.Dev, c.App)
				}
				if got := c.ExpiresAt.Sub(c.IssuedAt); got != 10*time.Minute {
					t.Errorf("lifetime %s, want the default 10m", got)
				}
				if !c.NotBefore.Equal(c.IssuedAt) || len(c.ID) != 16 {
					t.Errorf("nbf %s iat %s jti %q: want nbf = iat and a 16-character jti", c.NotBefore, c.IssuedAt, c.ID)
				}
			},
		},
		{
			name: "seed spelling of a role, any room",
			args: mintArgs("--user", "bob", "--role", "VIEWER"),
			check: func(t *testing.T, c *token.Claims) {
				want(t, "role", c.Grants.Role, "viewer")
				want(t, "permissions", strings.Join(c.Grants.Permissions, ","), "consume,room.join")
				if c.Grants.Rooms != nil {
					t.Errorf("rooms %q, want absent (any room)", c.Grants.Rooms)
				}
			},
		},
		{
			name:  "Huddle01 coHost",
			args:  mintArgs("--user", "carol", "--role", "coHost"),
			check: func(t *testing.T, c *token.Claims) { want(t, "role", c.Grants.Role, "co-host") },
		},
		{
			name: "guest with name, image and metadata",
			args: mintArgs("--user", "guest_1", "--role", "guest", "--user-type", "guest", "--name", "Bob",
				"--image", "https://example.com/bob.png", "--metadata", `{ "team": "blue", "seat": 4 }`),
			check: func(t *testing.T, c *token.Claims) {
				if c.User == nil {
					t.Fatal("no user claim")
				}
				want(t, "user type", c.User.Type, access.GuestUser)
				want(t, "name", c.User.Name, "Bob")
				want(t, "image", c.User.Image, "https://example.com/bob.png")
				want(t, "metadata", string(c.User.Metadata), `{"team":"blue","seat":4}`)
			},
		},
		{
			name: "authenticated user with metadata only",
			args: mintArgs("--user", "dave", "--role", "speaker", "--metadata", `"vip"`),
			check: func(t *testing.T, c *token.Claims) {
				if c.User == nil {
					t.Fatal("no user claim")
				}
				want(t, "user type", c.User.Type, access.Authenticated)
				want(t, "metadata", string(c.User.Metadata), `"vip"`)
			},
		},
		{
			name: "anonymous watcher bound to a room",
			args: mintArgs("--user-type", "anonymous", "--role", "viewer", "--room", "launch"),
			check: func(t *testing.T, c *token.Claims) {
				want(t, "sub", c.Subject, access.AnonymousSubject)
				if c.User == nil || c.User.Type != access.Anonymous {
					t.Errorf("user %+v, want type anonymous", c.User)
				}
				want(t, "rooms", strings.Join(c.Grants.Rooms, ","), "launch")
				want(t, "permissions", strings.Join(c.Grants.Permissions, ","), "consume,room.join")
			},
		},
		{
			name: "development key strips moderation from host",
			args: mintArgs("--user", "erin", "--role", "host", "--development", "--ttl", "30m"),
			dev:  true,
			check: func(t *testing.T, c *token.Claims) {
				if !c.Dev {
					t.Error("dev not set")
				}
				for _, p := range c.Grants.Permissions {
					if strings.HasPrefix(p, "moderate.") || p == "invite" || p == "broadcast.manage" || p == "api.write" {
						t.Errorf("development token carries %s", p)
					}
				}
				if !slices.Contains(c.Grants.Permissions, "produce.camera") {
					t.Errorf("permissions %q lost produce.camera", c.Grants.Permissions)
				}
				if got := c.ExpiresAt.Sub(c.IssuedAt); got != 30*time.Minute {
					t.Errorf("lifetime %s, want 30m", got)
				}
			},
		},
		{
			name: "extra permission, lifetime in seconds, app",
			args: mintArgs("--user", "frank", "--role", "viewer", "--permission", "data.send,data.receive", "--ttl", "90", "--app", "app_42"),
			check: func(t *testing.T, c *token.Claims) {
				want(t, "permissions", strings.Join(c.Grants.Permissions, ","), "consume,data.receive,data.send,room.join")
				want(t, "app", c.App, "app_42")
				if got := c.ExpiresAt.Sub(c.IssuedAt); got != 90*time.Second {
					t.Errorf("lifetime %s, want 90s", got)
				}
			},
		},
		{
			name: "server-API token keeps only api permissions",
			args: mintArgs("--user", "backend", "--role", "contributor", "--audience", "api"),
			check: func(t *testing.T, c *token.Claims) {
				want(t, "aud", c.Audience, access.AudienceAPI)
				want(t, "permissions", strings.Join(c.Grants.Permissions, ","), "api.read")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, "", tt.args...)
			out := wantSuccess(t, r)
			if r.stderr != "" {
				t.Errorf("stderr %q, want nothing", r.stderr)
			}
			tok := strings.TrimSuffix(out, "\n")
			if strings.ContainsAny(tok, " \n") || strings.Count(tok, ".") != 2 {
				t.Fatalf("stdout %q is not one compact token", out)
			}
			kind := access.Production
			if tt.dev {
				kind = access.Development
			}
			tt.check(t, verifyHS256(t, tok, kind))
			checkWithJWTLib(t, tok)
		})
	}
}

// checkWithJWTLib verifies tok with golang-jwt v5 given only the secret.
func checkWithJWTLib(t *testing.T, tok string) {
	t.Helper()
	parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte(testSecret), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(testKeyID), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	if err != nil {
		t.Fatalf("golang-jwt rejects the token: %v", err)
	}
	if kid := parsed.Header["kid"]; kid != testKeyID {
		t.Errorf("golang-jwt kid %v, want %s", kid, testKeyID)
	}
	if _, ok := parsed.Claims.(jwt.MapClaims)["grants"].(map[string]any); !ok {
		t.Errorf("golang-jwt sees no grants object in %v", parsed.Claims)
	}
}

func TestMintFromEnvironment(t *testing.T) {
	t.Setenv("STAGEDOOR_API_KEY", testKeyID)
	t.Setenv("STAGEDOOR_API_SECRET", testSecret)
	out := wantSuccess(t, cli(t, "", "token", "mint", "--user", "alice", "--role", "guest"))
	c := verifyHS256(t, strings.TrimSpace(out), access.Production)
	want(t, "iss", c.Issuer, testKeyID)
}

func TestMintFailures(t *testing.T) {
	clearKeyEnv(t)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown role", mintArgs("--user", "a", "--role", "superstar"), 2, `unknown role "superstar"`},
		{"unknown permission", mintArgs("--user", "a", "--role", "viewer", "--permission", "room.fly"), 2, `unknown permission "room.fly"`},
		{"development key asks for moderation", mintArgs("--user", "a", "--role", "viewer", "--permission", "moderate.kick", "--development"), 1, "development keys cannot grant moderate.kick"},
		{"development key asks for api.write", mintArgs("--user", "a", "--role", "contributor", "--audience", "api", "--permission", "api.write", "--development"), 1, "development keys cannot grant api.write"},
		{"ttl is not a duration", mintArgs("--user", "a", "--role", "viewer", "--ttl", "abc"), 2, `--ttl "abc"`},
		{"ttl is zero", mintArgs("--user", "a", "--role", "viewer", "--ttl", "0s"), 2, "positive"},
		{"ttl has a fraction of a second", mintArgs("--user", "a", "--role", "viewer", "--ttl", "1.5s"), 2, "whole number of seconds"},
		{"ttl over the development cap", mintArgs("--user", "a", "--role", "viewer", "--ttl", "2h", "--development"), 1, "ttl 2h0m0s is outside"},
		{"ttl over the production cap", mintArgs("--user", "a", "--role", "viewer", "--ttl", "25h"), 1, "ttl 25h0m0s is outside"},
		{"metadata is not JSON", mintArgs("--user", "a", "--role", "viewer", "--metadata", "{team: blue}"), 2, "--metadata must be JSON"},
		{"anonymous without a room", mintArgs("--user-type", "anonymous", "--role", "viewer"), 1, "anonymous users must be bound to at least one room"},
		{"anonymous with a producing role", mintArgs("--user-type", "anonymous", "--role", "guest", "--room", "r"), 1, "anonymous users may only join and consume"},
		{"anonymous with a user id", mintArgs("--user-type", "anonymous", "--user", "bob", "--role", "viewer", "--room", "r"), 2, "anonymous users have no user id"},
		{"api token for a role without api permissions", mintArgs("--user", "a", "--role", "viewer", "--audience", "api"), 1, "no api.* permission"},
		{"unknown audience", mintArgs("--user", "a", "--role", "viewer", "--audience", "crawler"), 2, "unknown audience"},
		{"unknown user type", mintArgs("--user", "a", "--role", "viewer", "--user-type", "robot"), 2, "unknown user type"},
		{"missing api key", []string{"token", "mint", "--api-secret", testSecret, "--user", "a", "--role", "viewer"}, 2, "--api-key"},
		{"missing api secret", []string{"token", "mint", "--api-key", testKeyID, "--user", "a", "--role", "viewer"}, 2, "--api-secret"},
		{"short secret", []string{"token", "mint", "--api-key", testKeyID, "--api-secret", "short", "--user", "a", "--role", "viewer"}, 2, "shorter than 32 bytes"},
		{"missing user", mintArgs("--role", "viewer"), 2, "--user is required"},
		{"missing role", mintArgs("--user", "a"), 2, "--role is required"},
		{"user id with a control character", mintArgs("--user", "a\nb", "--role", "viewer"), 2, "--user: must not contain the control or format character U+000A"},
		{"user id with a zero-width space", mintArgs("--user", "al\u200bice", "--role", "viewer"), 2, "--user: must not contain the control or format character U+200B"},
		{"user id with a bidi override", mintArgs("--user", "al\u202eice", "--role", "viewer"), 2, "--user: must not contain the control or format character U+202E"},
		{"user id with a leading space", mintArgs("--user", " alice", "--role", "viewer"), 2, "--user: must not begin or end with whitespace"},
		{"user id with a slash", mintArgs("--user", "a/b", "--role", "viewer"), 2, "--user: must not contain '/'"},
		{"user id of invalid UTF-8", mintArgs("--user", "al\xffice", "--role", "viewer"), 2, "--user: must be valid UTF-8"},
		{"participant with a bidi isolate", mintArgs("--user", "a", "--role", "viewer", "--participant", "p\u2066"), 2, "--participant: must not contain the control or format character U+2066"},
		{"participant with a trailing space", mintArgs("--user", "a", "--role", "viewer", "--participant", "p "), 2, "--participant: must not begin or end with whitespace"},
		{"participant too long", mintArgs("--user", "a", "--role", "viewer", "--participant", strings.Repeat("p", 129)), 2, "--participant: longer than 128 bytes"},
		{"empty room", mintArgs("--user", "a", "--role", "viewer", "--room", ""), 2, `--room "": required`},
		{"dot room", mintArgs("--user", "a", "--role", "viewer", "--room", "."), 2, `--room ".": "." cannot be a name`},
		{"dot-dot room", mintArgs("--user", "a", "--role", "viewer", "--room", ".."), 2, `--room "..": ".." cannot be a name`},
		{"room with a slash", mintArgs("--user", "a", "--role", "viewer", "--room", "a/b"), 2, "must not contain '/'"},
		{"room with a zero-width space", mintArgs("--user", "a", "--role", "viewer", "--room", "sta\u200bge"), 2, "U+200B"},
		{"room with a trailing space", mintArgs("--user", "a", "--role", "viewer", "--room", "stage "), 2, "must not begin or end with whitespace"},
		{"unknown flag", mintArgs("--user", "a", "--role", "viewer", "--rooms", "x"), 2, "unknown flag"},
		{"positional argument", mintArgs("--user", "a", "--role", "viewer", "extra"), 2, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFailure(t, cli(t, "", tt.args...), tt.code, tt.msg)
		})
	}
}

// want reports a field that differs from what was expected.
func want[S ~string](t *testing.T, what string, got, expected S) {
	t.Helper()
	if got != expected {
		t.Errorf("%s = %q, want %q", what, got, expected)
	}
}
