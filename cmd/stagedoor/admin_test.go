package main

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// dataDir returns a fresh data directory and keeps the caller's
// environment out of the commands.
func dataDir(t *testing.T) string {
	t.Helper()
	t.Setenv("STAGEDOOR_MASTER_KEY", "")
	t.Setenv("STAGEDOOR_DATA", "")
	t.Setenv("STAGEDOOR_DATABASE", "")
	return t.TempDir()
}

// admin runs an admin command on the data directory dir.
func admin(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return cli(t, "", append(args, "--data", dir)...)
}

func TestAdminFlow(t *testing.T) {
	dir := dataDir(t)

	app := decodeJSON[appView](t, wantSuccess(t, admin(t, dir, "app", "create", "demo", "--json")))
	if app.Name != "demo" || !strings.HasPrefix(app.ID, "app_") {
		t.Fatalf("created app %+v, want demo with an app_ id", app)
	}
	apps := decodeJSON[[]appView](t, wantSuccess(t, admin(t, dir, "app", "list", "--json")))
	if len(apps) != 1 || apps[0].ID != app.ID {
		t.Errorf("app list %+v, want the one app %s", apps, app.ID)
	}
	if out := wantSuccess(t, admin(t, dir, "app", "list")); !strings.Contains(out, app.ID) || !strings.Contains(out, "demo") {
		t.Errorf("app list:\n%s\nlacks the app", out)
	}

	keyOut := wantSuccess(t, admin(t, dir, "key", "create", "--app", "demo", "--json"))
	key := decodeJSON[map[string]string](t, keyOut)
	if got := slices.Sorted(maps.Keys(key)); !slices.Equal(got, []string{"api_key", "api_secret", "app", "kind"}) {
		t.Errorf("key create --json members %q, want app, api_key, api_secret, kind", got)
	}
	if key["app"] != app.ID || key["kind"] != "production" || !strings.HasPrefix(key["api_key"], "sdk_") || len(key["api_secret"]) < 32 {
		t.Errorf("created key %v", key)
	}
	devKey := decodeJSON[map[string]string](t, wantSuccess(t, admin(t, dir, "key", "create", "--app", app.ID, "--development", "--json")))
	want(t, "development key kind", devKey["kind"], "development")
	text := wantSuccess(t, admin(t, dir, "key", "create", "--app", "demo"))
	if !strings.Contains(text, "shown only this once") || !strings.Contains(text, "api secret: ") {
		t.Errorf("key create without --json:\n%s\nlacks the secret or the warning", text)
	}

	// The new key mints tokens offline that its secret verifies.
	tok := strings.TrimSpace(wantSuccess(t, cli(t, "", "token", "mint", "--api-key", key["api_key"], "--api-secret", key["api_secret"],
		"--user", "alice", "--role", "host", "--app", app.ID)))
	got, r := inspectJSON(t, "", "--secret", key["api_secret"], tok)
	if r.code != 0 || !got.Valid {
		t.Errorf("token of the created key: exit %d, error %q", r.code, got.Error)
	}

	for _, args := range [][]string{{"key", "list"}, {"key", "list", "--json"}, {"key", "list", "--app", "demo"}} {
		out := wantSuccess(t, admin(t, dir, args...))
		if strings.Contains(out, key["api_secret"]) || strings.Contains(out, devKey["api_secret"]) {
			t.Errorf("%v shows a secret:\n%s", args, out)
		}
		if !strings.Contains(out, key["api_key"]) || !strings.Contains(out, devKey["api_key"]) {
			t.Errorf("%v lacks the keys:\n%s", args, out)
		}
	}

	wantSuccess(t, admin(t, dir, "role", "set", "--app", "demo", "moderator", "--permission", "room.join,consume", "--permission", "moderate.mute", "--rank", "75"))
	roles := decodeJSON[[]roleView](t, wantSuccess(t, admin(t, dir, "role", "list", "--app", "demo", "--json")))
	byName := map[string]roleView{}
	for _, r := range roles {
		byName[r.Name] = r
	}
	if m := byName["moderator"]; m.Rank != 75 || m.Builtin || strings.Join(m.Permissions, ",") != "consume,moderate.mute,room.join" {
		t.Errorf("custom role %+v, want moderator rank 75 with consume, moderate.mute, room.join", m)
	}
	if h := byName["host"]; !h.Builtin || h.Rank != 100 || len(roles) != 15 {
		t.Errorf("host %+v among %d roles, want the 14 built-in roles plus moderator", h, len(roles))
	}
	if out := wantSuccess(t, admin(t, dir, "role", "list", "--app", "demo")); !strings.Contains(out, "moderator") || !strings.Contains(out, "custom") {
		t.Errorf("role list:\n%s\nlacks the custom role", out)
	}

	wantSuccess(t, admin(t, dir, "key", "revoke", key["api_key"]))
	wantFailure(t, admin(t, dir, "key", "revoke", key["api_key"]), 1, "already revoked")
	listed := decodeJSON[[]keyView](t, wantSuccess(t, admin(t, dir, "key", "list", "--json")))
	for _, k := range listed {
		if (k.RevokedAt != nil) != (k.APIKey == key["api_key"]) {
			t.Errorf("key %s revoked at %v; only %s should be revoked", k.APIKey, k.RevokedAt, key["api_key"])
		}
	}

	first := strings.TrimSpace(wantSuccess(t, admin(t, dir, "signing-key", "rotate")))
	second := strings.TrimSpace(wantSuccess(t, admin(t, dir, "signing-key", "rotate")))
	if first == "" || first == second || strings.Contains(first, " ") {
		t.Errorf("rotations printed %q then %q, want two distinct key ids", first, second)
	}

	checkAudit(t, dir, app.ID, []string{key["api_secret"], devKey["api_secret"]})
}

// checkAudit checks the audit log the admin flow leaves behind.
func checkAudit(t *testing.T, dir, appID string, secrets []string) {
	t.Helper()
	text := wantSuccess(t, admin(t, dir, "audit"))
	all := decodeJSON[[]auditView](t, wantSuccess(t, admin(t, dir, "audit", "--json")))
	actions := map[string]int{}
	for _, e := range all {
		actions[e.Action]++
	}
	for action, n := range map[string]int{"app.create": 1, "key.create": 3, "key.revoke": 1, "role.set": 1, "signing_key.rotate": 2} {
		if actions[action] != n {
			t.Errorf("audit has %d %s entries, want %d: %v", actions[action], action, n, actions)
		}
		if !strings.Contains(text, action) {
			t.Errorf("audit text lacks %s:\n%s", action, text)
		}
	}
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("audit shows a secret:\n%s", text)
		}
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != len(all)+1 {
		t.Errorf("audit text has %d lines, want a header and %d entries", len(lines), len(all))
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if _, err := time.Parse(time.RFC3339, f[1]); err != nil || f[2] == "" {
			t.Errorf("audit line %q lacks seq, RFC 3339 time and actor", l)
		}
	}

	ofApp := decodeJSON[[]auditView](t, wantSuccess(t, admin(t, dir, "audit", "--app", "demo", "--json")))
	for _, e := range ofApp {
		if e.App != appID {
			t.Errorf("audit --app shows an entry of app %q: %+v", e.App, e)
		}
	}
	if len(ofApp) == 0 || len(ofApp) >= len(all) {
		t.Errorf("audit --app shows %d of %d entries", len(ofApp), len(all))
	}
	after := all[1].Seq
	page := decodeJSON[[]auditView](t, wantSuccess(t, admin(t, dir, "audit", "--after", strconv.FormatInt(after, 10), "--limit", "2", "--json")))
	if len(page) != 2 || page[0].Seq != all[2].Seq {
		t.Errorf("audit --after %d --limit 2 = %+v, want entries %d and %d", after, page, all[2].Seq, all[3].Seq)
	}
}

func TestAdminFailures(t *testing.T) {
	dir := dataDir(t)
	wantSuccess(t, admin(t, dir, "app", "create", "demo"))
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"app create: name taken", []string{"app", "create", "demo"}, 1, `an app named "demo" exists`},
		{"app create: bad name", []string{"app", "create", "no spaces"}, 1, "must be 1-64 letters"},
		{"app create: no name", []string{"app", "create"}, 2, "NAME"},
		{"key create: unknown app", []string{"key", "create", "--app", "nope"}, 1, `app "nope" not found`},
		{"key create: no app", []string{"key", "create"}, 2, "--app is required"},
		{"key list: unknown app", []string{"key", "list", "--app", "nope"}, 1, `app "nope" not found`},
		{"key revoke: unknown key", []string{"key", "revoke", "sdk_nope"}, 1, `api key "sdk_nope" not found`},
		{"key revoke: no key", []string{"key", "revoke"}, 2, "API_KEY"},
		{"role set: unknown permission", []string{"role", "set", "--app", "demo", "r", "--permission", "room.fly", "--rank", "5"}, 1, `unknown permission "room.fly"`},
		{"role set: rank not a number", []string{"role", "set", "--app", "demo", "r", "--permission", "consume", "--rank", "high"}, 2, "--rank"},
		{"role set: rank out of range", []string{"role", "set", "--app", "demo", "r", "--permission", "consume", "--rank", "500"}, 1, "rank 500 is outside [0, 100]"},
		{"role set: built-in name", []string{"role", "set", "--app", "demo", "host", "--permission", "consume", "--rank", "5"}, 1, `"host" is a built-in role`},
		{"role set: bad name", []string{"role", "set", "--app", "demo", "Big Role", "--permission", "consume", "--rank", "5"}, 1, "lowercase"},
		{"role set: unknown app", []string{"role", "set", "--app", "nope", "r", "--permission", "consume", "--rank", "5"}, 1, `app "nope" not found`},
		{"role set: no permission", []string{"role", "set", "--app", "demo", "r", "--rank", "5"}, 2, "--permission is required"},
		{"role set: no rank", []string{"role", "set", "--app", "demo", "r", "--permission", "consume"}, 2, "--rank is required"},
		{"role list: no app", []string{"role", "list"}, 2, "--app is required"},
		{"role list: unknown app", []string{"role", "list", "--app", "nope"}, 1, `app "nope" not found`},
		{"audit: negative limit", []string{"audit", "--limit", "-1"}, 2, "--limit"},
		{"audit: negative after", []string{"audit", "--after", "-1"}, 2, "--after"},
		{"audit: unknown app", []string{"audit", "--app", "nope"}, 1, `app "nope" not found`},
		{"signing-key rotate: argument", []string{"signing-key", "rotate", "now"}, 2, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFailure(t, admin(t, dir, tt.args...), tt.code, tt.msg)
		})
	}
	roles := decodeJSON[[]roleView](t, wantSuccess(t, admin(t, dir, "role", "list", "--app", "demo", "--json")))
	for _, r := range roles {
		if !r.Builtin {
			t.Errorf("a refused role set stored role %+v", r)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"token", "mint"}, {"token", "inspect"}, {"key", "generate-signing"}, {"key", "create"}, {"key", "list"},
		{"key", "revoke"}, {"app", "create"}, {"app", "list"}, {"role", "set"}, {"role", "list"},
		{"signing-key", "rotate"}, {"audit"}, {"admin", "login"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out := wantSuccess(t, cli(t, "", append(args, "--help")...))
			if !strings.Contains(out, "Examples:") || !strings.Contains(out, "stagedoor "+strings.Join(args, " ")) {
				t.Errorf("help lacks an example:\n%s", out)
			}
		})
	}
	t.Setenv("STAGEDOOR_API_SECRET", testSecret)
	if out := wantSuccess(t, cli(t, "", "token", "mint", "--help")); strings.Contains(out, testSecret) {
		t.Error("mint --help shows the secret from the environment")
	}
}
