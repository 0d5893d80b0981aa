package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const liveKitSecret = "livekit-secret-0123456789abcdef0123456789"

func TestLiveKitSet(t *testing.T) {
	dir := dataDir(t)
	app := decodeJSON[appView](t, wantSuccess(t, admin(t, dir, "app", "create", "demo", "--json")))
	wantSuccess(t, admin(t, dir, "app", "create", "other"))

	out := wantSuccess(t, admin(t, dir, "livekit", "set", "--app", "demo", "--url", "ws://127.0.0.1:7880", "--api-key", "devkey", "--api-secret", liveKitSecret))
	if !strings.Contains(out, "ws://127.0.0.1:7880") || strings.Contains(out, liveKitSecret) {
		t.Fatalf("set printed %q", out)
	}
	list := decodeJSON[[]liveKitView](t, wantSuccess(t, admin(t, dir, "livekit", "list", "--json")))
	if len(list) != 1 || list[0].App != app.ID || list[0].AppName != "demo" || list[0].URL != "ws://127.0.0.1:7880" || list[0].APIKey != "devkey" {
		t.Fatalf("list %+v", list)
	}

	// The secret read from stdin replaces the project.
	r := cli(t, liveKitSecret+"x\n", "livekit", "set", "--app", app.ID, "--url", "wss://demo.livekit.example", "--api-key", "prodkey", "--api-secret", "-", "--data", dir)
	wantSuccess(t, r)
	table := wantSuccess(t, admin(t, dir, "livekit", "list"))
	if !strings.Contains(table, "wss://demo.livekit.example") || !strings.Contains(table, "prodkey") || strings.Contains(table, "devkey") {
		t.Fatalf("list after the change:\n%s", table)
	}

	db, err := os.ReadFile(filepath.Join(dir, "stagedoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(db, []byte(liveKitSecret)) {
		t.Fatal("the LiveKit secret is stored in the clear")
	}
	audit := wantSuccess(t, admin(t, dir, "audit", "--app", "demo", "--json"))
	if strings.Count(audit, `"livekit.set"`) != 2 || strings.Contains(audit, liveKitSecret) {
		t.Fatalf("audit:\n%s", audit)
	}

	for _, tt := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		msg   string
	}{
		{"unknown app", "", []string{"--app", "nope", "--url", "ws://h", "--api-key", "k", "--api-secret", liveKitSecret}, 1, `app "nope" not found`},
		{"no app", "", []string{"--url", "ws://h", "--api-key", "k", "--api-secret", liveKitSecret}, 2, "--app is required"},
		{"no url", "", []string{"--app", "other", "--api-key", "k", "--api-secret", liveKitSecret}, 2, "--url is required"},
		{"no key", "", []string{"--app", "other", "--url", "ws://h", "--api-secret", liveKitSecret}, 2, "--api-key is required"},
		{"no secret", "", []string{"--app", "other", "--url", "ws://h", "--api-key", "k"}, 2, "--api-secret is required"},
		{"no secret on stdin", "", []string{"--app", "other", "--url", "ws://h", "--api-key", "k", "--api-secret", "-"}, 2, "no secret on stdin"},
		{"short secret", "", []string{"--app", "other", "--url", "ws://h", "--api-key", "k", "--api-secret", "short"}, 1, "at least 32 bytes"},
		{"ftp url", "", []string{"--app", "other", "--url", "ftp://h", "--api-key", "k", "--api-secret", liveKitSecret}, 1, `scheme "ftp"`},
		{"url without host", "", []string{"--app", "other", "--url", "ws:///path", "--api-key", "k", "--api-secret", liveKitSecret}, 1, "URL of a host"},
		{"url with a password", "", []string{"--app", "other", "--url", "wss://u:p@h", "--api-key", "k", "--api-secret", liveKitSecret}, 1, "URL of a host"},
		{"key with a space", "", []string{"--app", "other", "--url", "ws://h", "--api-key", "a key", "--api-secret", liveKitSecret}, 1, "printable ASCII"},
		{"key of another app", "", []string{"--app", "other", "--url", "ws://h", "--api-key", "prodkey", "--api-secret", liveKitSecret}, 1, "another app's"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"livekit", "set"}, tt.args...), "--data", dir)
			wantFailure(t, cli(t, tt.stdin, args...), tt.code, tt.msg)
		})
	}
	if list := decodeJSON[[]liveKitView](t, wantSuccess(t, admin(t, dir, "livekit", "list", "--json"))); len(list) != 1 {
		t.Fatalf("refused sets stored projects: %+v", list)
	}
}

func TestLiveKitRemove(t *testing.T) {
	dir := dataDir(t)
	wantSuccess(t, admin(t, dir, "app", "create", "demo"))
	wantSuccess(t, admin(t, dir, "app", "create", "other"))
	wantSuccess(t, admin(t, dir, "livekit", "set", "--app", "demo", "--url", "ws://127.0.0.1:7880", "--api-key", "devkey", "--api-secret", liveKitSecret))
	wantSuccess(t, admin(t, dir, "livekit", "set", "--app", "other", "--url", "ws://127.0.0.1:7881", "--api-key", "otherkey", "--api-secret", liveKitSecret))

	for _, tt := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no app", nil, 2, "--app is required"},
		{"unknown app", []string{"--app", "nope"}, 1, `app "nope" not found`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"livekit", "remove"}, tt.args...), "--data", dir)
			wantFailure(t, cli(t, "", args...), tt.code, tt.msg)
		})
	}

	out := wantSuccess(t, admin(t, dir, "livekit", "remove", "--app", "demo"))
	if !strings.Contains(out, "demo") {
		t.Fatalf("remove printed %q", out)
	}
	list := decodeJSON[[]liveKitView](t, wantSuccess(t, admin(t, dir, "livekit", "list", "--json")))
	if len(list) != 1 || list[0].AppName != "other" {
		t.Fatalf("after removing demo's project: %+v", list)
	}
	wantFailure(t, admin(t, dir, "livekit", "remove", "--app", "demo"), 1, "LiveKit project of app")
	audit := wantSuccess(t, admin(t, dir, "audit", "--app", "demo", "--json"))
	if strings.Count(audit, `"livekit.remove"`) != 1 {
		t.Fatalf("audit:\n%s", audit)
	}
}
