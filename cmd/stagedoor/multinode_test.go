package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/internal/storage/postgres/pgtest"
)

// testDatabase returns the URL of a schema of its own in the test
// database, dropped when t ends.
func testDatabase(t testing.TB) string {
	t.Helper()
	return pgtest.DSN(t)
}

func bearerPost(t testing.TB, base, path, tok, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	return doJSON(t, req)
}

func jwksOf(t *testing.T, base string) []byte {
	t.Helper()
	resp, err := http.Get(base + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

// cursorOf reads where room's event feed on the node at base stands now,
// with the access token tok.
func cursorOf(t *testing.T, base, room, tok string) int64 {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/v1/rooms/"+room+"/events?wait=0s", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	status, body := doJSON(t, req)
	cursor, ok := body["cursor"].(float64)
	if status != http.StatusOK || !ok {
		t.Fatalf("events of %s: %d %v", room, status, body)
	}
	return int64(cursor)
}

// pollUntilEnd long-polls room's events after cursor on the node at base
// with tok, and returns the reason the poll ended with, or the status it
// was refused with ("status 401").
func pollUntilEnd(base, room, tok string, cursor int64) string {
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/rooms/%s/events?wait=60s&after=%d", base, room, cursor), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("status %d", resp.StatusCode)
	}
	var poll struct {
		End struct {
			Reason string `json:"reason"`
		} `json:"end"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&poll); err != nil {
		return err.Error()
	}
	return poll.End.Reason
}

// TestThreeNodesOnPostgres runs three `stagedoor serve` processes on one
// PostgreSQL database: a token minted on one verifies on the others, a
// revocation on one reaches the others, ending the token's event polls
// there, and a signing-key rotation leaves every node publishing the same
// JWKS.
func TestThreeNodesOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	db := testDatabase(t)
	mk := make([]byte, 32)
	rand.Read(mk)
	t.Setenv("STAGEDOOR_MASTER_KEY", base64.StdEncoding.EncodeToString(mk))
	t.Setenv("STAGEDOOR_DATABASE", db)
	n1 := startServe(t, t.TempDir())
	m := bannerKey.FindStringSubmatch(n1.stdout)
	if m == nil {
		t.Fatalf("first node printed no API key:\n%s", n1.stdout)
	}
	key, sec := m[1], m[2]
	n2, n3 := startServe(t, t.TempDir()), startServe(t, t.TempDir())
	if bannerKey.MatchString(n2.stdout) || bannerKey.MatchString(n3.stdout) {
		t.Fatal("a later node bootstrapped a second default app")
	}
	status, tok := n1.post(t, "/v1/tokens", key, sec, `{"user_id":"alice","role":"host","rooms":["r"]}`)
	if status != 201 {
		t.Fatalf("mint on node 1: %d %v", status, tok)
	}
	alice := tok["access_token"].(string)
	for i, n := range []*process{n2, n3} {
		if status, body := bearerPost(t, n.url, "/v1/verify", alice, `{"room":"r","permission":"produce.camera"}`); status != 200 {
			t.Fatalf("verify on node %d: %d %v", i+2, status, body)
		}
	}
	// Alice, in room r, long-polls its events on nodes 1 and 3: each poll
	// ends once its node learns of her revocation, made on node 2, or of
	// the end of her session that follows it (a node reads the feed in
	// order, so it then knows of the revocation too).
	if status, body := n1.post(t, "/v1/rooms", key, sec, `{"name":"r"}`); status != 201 {
		t.Fatalf("create room on node 1: %d %v", status, body)
	}
	if status, body := bearerPost(t, n1.url, "/v1/rooms/r/join", alice, `{}`); status != 201 {
		t.Fatalf("join on node 1: %d %v", status, body)
	}
	ended := make(chan string, 2)
	for _, n := range []*process{n1, n3} {
		cursor := cursorOf(t, n.url, "r", alice)
		go func() { ended <- pollUntilEnd(n.url, "r", alice, cursor) }()
	}
	if status, body := n2.post(t, "/v1/revocations", key, sec, `{"user_id":"alice"}`); status != 201 {
		t.Fatalf("revoke on node 2: %d %v", status, body)
	}
	for range 2 {
		select {
		case end := <-ended:
			if end != "token_revoked" && end != "session_ended" && end != "status 401" {
				t.Fatalf("alice's poll ended with %q, want token_revoked", end)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a node did not end alice's poll within 10 s of her revocation")
		}
	}
	for i, n := range []*process{n1, n3} {
		if status, body := bearerPost(t, n.url, "/v1/verify", alice, `{"room":"r","permission":"consume"}`); status != 401 {
			t.Fatalf("node %d accepts the token after its revocation: %d %v", []int{1, 3}[i], status, body)
		}
	}

	rotate := exec.Command(os.Args[0], "signing-key", "rotate", "--data", t.TempDir())
	rotate.Env = append(os.Environ(), "STAGEDOOR_TEST_AS_COMMAND=1")
	if out, err := rotate.CombinedOutput(); err != nil {
		t.Fatalf("signing-key rotate: %v\n%s", err, out)
	}
	var a, b, c []byte
	if !waitFor(t.Context(), 3*time.Second, func() bool {
		a, b, c = jwksOf(t, n1.url), jwksOf(t, n2.url), jwksOf(t, n3.url)
		return bytes.Equal(a, b) && bytes.Equal(b, c) && bytes.Count(a, []byte(`"kid"`)) == 3
	}) {
		t.Fatalf("nodes publish different key sets after rotation:\n%s\n%s\n%s", a, b, c)
	}
}
