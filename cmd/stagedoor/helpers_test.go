package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

// testKeyID and testSecret are the API key the token tests sign with.
const (
	testKeyID  = "sdk_test"
	testSecret = "0123456789abcdef0123456789abcdef-secret"
)

// result is what one in-process run of the command line produced.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs the command line in-process with stdin.
func cli(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// wantFailure checks a failed run: the exit status, nothing on stdout and
// a message holding want on stderr.
func wantFailure(t *testing.T, r result, code int, want string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit status %d, want %d (stderr %q)", r.code, code, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q does not mention %q", r.stderr, want)
	}
}

// wantSuccess checks a successful run and returns its stdout.
func wantSuccess(t *testing.T, r result) string {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit status %d, want 0 (stdout %q, stderr %q)", r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// hmacKey returns the test API key of kind.
func hmacKey(t *testing.T, kind access.KeyKind) *token.Key {
	t.Helper()
	k, err := token.NewHMACKey(testKeyID, []byte(testSecret), kind)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// verifyHS256 verifies tok with the test secret.
func verifyHS256(t *testing.T, tok string, kind access.KeyKind) *token.Claims {
	t.Helper()
	set, err := token.NewKeySet(hmacKey(t, kind))
	if err != nil {
		t.Fatal(err)
	}
	c, err := token.NewVerifier(set).Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("minted token does not verify: %v", err)
	}
	return c
}

// testClaims returns valid claims for a viewer in room r1, issued at iat.
func testClaims(iat time.Time, ttl time.Duration) *token.Claims {
	iat = iat.Truncate(time.Second)
	return &token.Claims{
		Subject: "alice", Audience: access.AudienceRTC, ID: "jti-1", App: "app_1",
		IssuedAt: iat, NotBefore: iat, ExpiresAt: iat.Add(ttl),
		Grants: token.Grants{Role: "viewer", Permissions: []string{"consume", "room.join"}, Rooms: []string{"r1"}, Participant: "p1"},
	}
}

// mintWith signs claims with key.
func mintWith(t *testing.T, key *token.Key, c *token.Claims) string {
	t.Helper()
	tok, err := token.Mint(key, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// decodeJSON unmarshals s into a value of type T.
func decodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("output is not the JSON expected: %v\n%s", err, s)
	}
	return v
}
