package main

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestCLIChangesReachRunningServer runs the admin commands on the data
// directory of a running server, first holding its one app, then 10,000
// apps with a key each: every change takes effect on the server without a
// restart, whichever app it touches.
func TestCLIChangesReachRunningServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, apps := range []int{1, scaleApps} {
		t.Run(fmt.Sprintf("%d apps", apps), func(t *testing.T) {
			dir := dataDir(t)
			p := startServe(t, dir)
			key, sec := bannerCredentials(t, p)
			var loaded []apiCredential
			if apps > 1 {
				stop(t, p)
				loaded = addApps(t, dir, apps-1)
				p = startServe(t, dir)
			}
			mint := func(key, sec, role string) int {
				status, _ := p.post(t, "/v1/tokens", key, sec, `{"user_id":"alice","role":"`+role+`"}`)
				return status
			}
			eventually := func(what string, ok func() bool) {
				t.Helper()
				if !waitFor(t.Context(), 10*time.Second, ok) {
					t.Fatalf("%s: not within 10 s", what)
				}
			}

			app := decodeJSON[appView](t, wantSuccess(t, admin(t, dir, "app", "create", "late", "--json")))
			k := decodeJSON[map[string]string](t, wantSuccess(t, admin(t, dir, "key", "create", "--app", app.ID, "--json")))
			eventually("a new app's new key mints", func() bool { return mint(k["api_key"], k["api_secret"], "viewer") == http.StatusCreated })
			wantSuccess(t, admin(t, dir, "role", "set", "--app", "late", "stage", "--permission", "room.join,consume", "--rank", "10"))
			eventually("a new role is granted", func() bool { return mint(k["api_key"], k["api_secret"], "stage") == http.StatusCreated })

			revoked := []apiCredential{{k["api_key"], k["api_secret"]}}
			if len(loaded) > 0 {
				// A key the server read at its start, among 10,000.
				revoked = append(revoked, loaded[len(loaded)/2])
			}
			for _, r := range revoked {
				if status := mint(r.key, r.secret, "viewer"); status != http.StatusCreated {
					t.Fatalf("key %s before its revocation: %d", r.key, status)
				}
				wantSuccess(t, admin(t, dir, "key", "revoke", r.key))
				eventually("a revoked key is refused", func() bool { return mint(r.key, r.secret, "viewer") == http.StatusUnauthorized })
			}

			jwks := func() string {
				resp, err := http.Get(p.url + "/.well-known/jwks.json")
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				return string(body)
			}
			// Rotating publishes a new next key.
			before := jwks()
			wantSuccess(t, admin(t, dir, "signing-key", "rotate"))
			eventually("the keys of a rotation are published", func() bool { return jwks() != before })
			if status := mint(key, sec, "viewer"); status != http.StatusCreated {
				t.Errorf("the first key, never revoked: %d", status)
			}
		})
	}
}
