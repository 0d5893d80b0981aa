package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var consoleLink = regexp.MustCompile(`(http://\S+)/console/#code=(sdc_\S+)`)

// admin login prints a console link that signs its operator in once, also
// while the server runs on the data directory.
func TestAdminLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := dataDir(t)
	p := startServe(t, dir)
	out := wantSuccess(t, admin(t, dir, "admin", "login", "--operator", "alice", "--url", p.url))
	m := consoleLink.FindStringSubmatch(out)
	if m == nil || m[1] != p.url || !strings.Contains(out, "alice") {
		t.Fatalf("admin login printed:\n%s", out)
	}
	signIn := func(code string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", p.url+"/v1/admin/sessions", strings.NewReader(`{"code":"`+code+`"}`))
		req.Header.Set("Content-Type", "application/json")
		return doJSON(t, req)
	}
	status, body := signIn(m[2])
	if status != http.StatusCreated || body["session"].(map[string]any)["operator"] != "operator:alice" {
		t.Fatalf("sign in with the link: %d %v", status, body)
	}
	if status, body := signIn(m[2]); status != http.StatusBadRequest || body["code"] != "invalid_grant" {
		t.Fatalf("sign in with the link again: %d %v", status, body)
	}

	v := decodeJSON[loginView](t, wantSuccess(t, admin(t, dir, "admin", "login", "--operator", "bob", "--url", "https://sd.example.com/", "--ttl", "2m", "--json")))
	if !strings.HasPrefix(v.URL, "https://sd.example.com/console/#code=sdc_") || v.Operator != "bob" ||
		v.ExpiresAt.Sub(time.Now()) > 2*time.Minute || v.ExpiresAt.Sub(time.Now()) < time.Minute {
		t.Fatalf("admin login --json: %+v", v)
	}
}

func TestAdminLoginFailures(t *testing.T) {
	dir := dataDir(t)
	for _, tt := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"bad operator", []string{"admin", "login", "--operator", "a b"}, 1, "operator name"},
		{"long ttl", []string{"admin", "login", "--operator", "a", "--ttl", "2h"}, 1, "between 1m and 1h0m0s"},
		{"short ttl", []string{"admin", "login", "--operator", "a", "--ttl", "1s"}, 1, "between 1m"},
		{"bad url", []string{"admin", "login", "--operator", "a", "--url", "ftp://x"}, 2, "--url"},
		{"no host", []string{"admin", "login", "--operator", "a", "--url", "http://"}, 2, "--url"},
		{"argument", []string{"admin", "login", "now"}, 2, "unexpected argument"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantFailure(t, admin(t, dir, tt.args...), tt.code, tt.msg)
		})
	}
}
