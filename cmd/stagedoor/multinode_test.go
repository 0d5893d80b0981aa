package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
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

// TestThreeNodesOnPostgres runs three `stagedoor serve` processes on one
// PostgreSQL database: a token minted on one verifies on the others, a
// revocation on one reaches the others within a second, and a signing-key
// rotation leaves every node publishing the same JWKS.
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
	if status, body := n2.post(t, "/v1/revocations", key, sec, `{"user_id":"alice"}`); status != 201 {
		t.Fatalf("revoke on node 2: %d %v", status, body)
	}
	revoked := time.Now()
	for i, n := range []*process{n1, n3} {
		for {
			status, _ := bearerPost(t, n.url, "/v1/verify", alice, `{"room":"r","permission":"consume"}`)
			if status == 401 {
				break
			}
			if time.Since(revoked) > time.Second {
				t.Fatalf("node %d still accepts the token a second after its revocation", []int{1, 3}[i])
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	rotate := exec.Command(os.Args[0], "signing-key", "rotate", "--data", t.TempDir())
	rotate.Env = append(os.Environ(), "STAGEDOOR_TEST_AS_COMMAND=1")
	if out, err := rotate.CombinedOutput(); err != nil {
		t.Fatalf("signing-key rotate: %v\n%s", err, out)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		a, b, c := jwksOf(t, n1.url), jwksOf(t, n2.url), jwksOf(t, n3.url)
		if bytes.Equal(a, b) && bytes.Equal(b, c) && bytes.Count(a, []byte(`"kid"`)) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nodes publish different key sets after rotation:\n%s\n%s\n%s", a, b, c)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
