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
	newest := decodeJSON[auditPageView](t, wantSuccess(t, admin(t, dir, "audit", "--json")))
	oldest := decodeJSON[auditPageView](t, wantSuccess(t, admin(t, dir, "audit", "--json", "--oldest-first")))
	all := oldest.Entries
	if newest.NextCursor != "" || oldest.NextCursor != "" {
		t.Errorf("a log of %d entries has a next page", len(all))
	}
	reversed := slices.Clone(seqs(all))
	slices.Reverse(reversed)
	if !slices.Equal(seqs(newest.Entries), reversed) {
		t.Errorf("newest first %v is not oldest first %v reversed", seqs(newest.Entries), seqs(all))
	}
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
		t.Fatalf("audit text has %d lines, want a header and %d entries", len(lines), len(all))
	}
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		if _, err := time.Parse(time.RFC3339, f[1]); err != nil || f[2] == "" || f[0] != strconv.FormatInt(reversed[i], 10) {
			t.Errorf("audit line %q lacks seq %d, RFC 3339 time and actor", l, reversed[i])
		}
	}

	third := all[2].Time.Format(time.RFC3339Nano)
	for _, c := range []struct {
		args []string
		keep func(auditView) bool
	}{
		{[]string{"--app", "demo"}, func(e auditView) bool { return e.App == appID }},
		{[]string{"--app", appID, "--action", "key.create"}, func(e auditView) bool { return e.App == appID && e.Action == "key.create" }},
		{[]string{"--action", "signing_key.rotate"}, func(e auditView) bool { return e.Action == "signing_key.rotate" }},
		{[]string{"--actor", "system"}, func(e auditView) bool { return e.Actor == "system" }},
		{[]string{"--since", third}, func(e auditView) bool { return !e.Time.Before(all[2].Time) }},
		{[]string{"--until", third}, func(e auditView) bool { return e.Time.Before(all[2].Time) }},
		{[]string{"--since", "1h"}, func(auditView) bool { return true }},
		{[]string{"--until", "1h"}, func(auditView) bool { return false }},
	} {
		got := decodeJSON[auditPageView](t, wantSuccess(t, admin(t, dir, append([]string{"audit", "--json", "--oldest-first"}, c.args...)...)))
		var want []int64
		for _, e := range all {
			if c.keep(e) {
				want = append(want, e.Seq)
			}
		}
		if !slices.Equal(seqs(got.Entries), want) {
			t.Errorf("audit %v = %v, want %v", c.args, seqs(got.Entries), want)
		}
	}

	// Two entries a page, each page continuing at the cursor the one
	// before printed, in both orders.
	for _, c := range []struct {
		order string
		want  []int64
	}{{"--oldest-first", seqs(all)}, {"--oldest-first=false", reversed}} {
		var got []int64
		cursor := ""
		for range len(all) {
			args := []string{"audit", "--limit", "2", c.order, "--cursor", cursor}
			page := decodeJSON[auditPageView](t, wantSuccess(t, admin(t, dir, append(args, "--json")...)))
			got = append(got, seqs(page.Entries)...)
			table := admin(t, dir, args...)
			if hint := "more entries: --cursor " + page.NextCursor + "\n"; (page.NextCursor != "") != (table.stderr == hint) {
				t.Errorf("audit %v printed %q on stderr, want the next cursor %q", args, table.stderr, page.NextCursor)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("audit %s in pages of 2 = %v, want %v", c.order, got, c.want)
		}
	}
}

// seqs returns the sequence numbers of entries.
func seqs(entries []auditView) []int64 {
	out := make([]int64, len(entries))
	for i, e := range entries {
		out[i] = e.Seq
	}
	return out
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
		{"audit: negative limit", []string{"audit", "--limit", "-1"}, 2, "--limit must be between 1 and 1000"},
		{"audit: limit over a page", []string{"audit", "--limit", "1001"}, 2, "--limit must be between 1 and 1000"},
		{"audit: cursor not given by a page", []string{"audit", "--cursor", "12"}, 2, "--cursor must be the next cursor"},
		{"audit: cursor spelled otherwise", []string{"audit", "--cursor", "1748736000000000.04711"}, 2, "--cursor must be the next cursor"},
		{"audit: since not a time", []string{"audit", "--since", "yesterday"}, 2, `--since: "yesterday" is neither`},
		{"audit: until a negative span", []string{"audit", "--until", "-1h"}, 2, "--until"},
		{"audit: until before since", []string{"audit", "--since", "2025-06-02T00:00:00Z", "--until", "2025-06-01T00:00:00Z"}, 2, "--until must be after since"},
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
		{"signing-key", "rotate"}, {"audit"}, {"livekit", "set"}, {"livekit", "list"}, {"admin", "login"},
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
