package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

func TestGenerateSigningToStdout(t *testing.T) {
	out := wantSuccess(t, cli(t, "", "key", "generate-signing"))
	k, err := token.ParseJWK([]byte(out))
	if err != nil {
		t.Fatalf("stdout is not a JWK: %v\n%s", err, out)
	}
	if k.Public() == nil || !strings.Contains(out, `"d":`) || strings.Count(out, "\n") != 1 {
		t.Errorf("stdout %q, want one private Ed25519 JWK line", out)
	}
	if _, err := token.Mint(k, testClaims(time.Now(), time.Minute)); err != nil {
		t.Errorf("the printed key cannot sign: %v", err)
	}
}

// generateSigning runs key generate-signing --out in a temporary directory
// and returns the private key file, the key in it and the printed JWKS.
func generateSigning(t *testing.T) (path string, key *token.Key, jwks string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "signing.jwk")
	jwks = wantSuccess(t, cli(t, "", "key", "generate-signing", "--out", path))
	priv, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if key, err = token.ParseJWK(priv); err != nil {
		t.Fatalf("the file is not a JWK: %v", err)
	}
	return path, key, jwks
}

func TestGenerateSigningToFile(t *testing.T) {
	path, key, jwks := generateSigning(t)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("file mode %o, want 600", mode)
	}
	set, err := token.ParseJWKS([]byte(jwks))
	if err != nil {
		t.Fatalf("stdout is not a JWKS: %v\n%s", err, jwks)
	}
	if ks := set.Keys(); len(ks) != 1 || ks[0].ID() != key.ID() {
		t.Errorf("JWKS keys %v, want the one key %s", ks, key.ID())
	}
	if strings.Contains(jwks, `"d"`) {
		t.Errorf("the printed JWKS holds the private part: %s", jwks)
	}

	before, _ := os.ReadFile(path)
	wantFailure(t, cli(t, "", "key", "generate-signing", "--out", path), 1, "refusing to overwrite")
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("the existing key file was changed")
	}
}

func TestInspectEdDSA(t *testing.T) {
	keyFile, key, jwks := generateSigning(t)
	jwksFile := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwksFile, []byte(jwks), 0o600); err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(jwks))
	}))
	defer srv.Close()

	c := testClaims(time.Now(), 10*time.Minute)
	c.Grants = token.Grants{Role: "host", Permissions: []string{"moderate.admit", "room.ask_join", "room.join"}}
	tok := mintWith(t, key, c)
	_, other, _ := generateSigning(t)
	foreign := mintWith(t, other, c)
	hs := mintWith(t, hmacKey(t, access.Production), c)

	tests := []struct {
		name   string
		args   []string
		code   int
		reason string
		alg    string
	}{
		{"JWKS file", []string{"--jwks", jwksFile, tok}, 0, "", "EdDSA"},
		{"JWKS URL", []string{"--jwks", srv.URL + "/.well-known/jwks.json", tok}, 0, "", "EdDSA"},
		{"private key file as a single JWK", []string{"--jwks", keyFile, tok}, 0, "", "EdDSA"},
		{"key not in the JWKS", []string{"--jwks", jwksFile, foreign}, 1, "unknown_key", "EdDSA"},
		{"HS256 token against a JWKS", []string{"--jwks", jwksFile, hs}, 1, "unknown_key", "HS256"},
		{"EdDSA token with a secret", []string{"--secret", testSecret, tok}, 1, "algorithm_not_allowed", "EdDSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, r := inspectJSON(t, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit status %d, want %d (error %q)", r.code, tt.code, got.Error)
			}
			want(t, "reason", got.Reason, tt.reason)
			if got.Valid != (tt.code == 0) || got.Verified != (tt.code == 0) {
				t.Errorf("valid %v verified %v, want %v", got.Valid, got.Verified, tt.code == 0)
			}
			want(t, "header alg", str(got.Header["alg"]), tt.alg)
			want(t, "admission", got.Admission, "direct")
		})
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the JWKS URL was fetched %d times, want 1", n)
	}
}
