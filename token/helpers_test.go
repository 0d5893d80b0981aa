package token_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

// now is the fixed clock of the tests.
var now = time.Unix(1_800_000_000, 0).UTC()

var secret = []byte("0123456789abcdef0123456789abcdef-secret")

// sampleClaims returns the realistic claim set used by tests and benchmarks.
func sampleClaims() *token.Claims {
	return &token.Claims{
		Subject:   "user_2f9a81c4",
		Audience:  access.AudienceRTC,
		ID:        "tok_8d1e6b0f5a2c4e79",
		App:       "app_live_42",
		IssuedAt:  now,
		NotBefore: now,
		ExpiresAt: now.Add(time.Hour),
		Grants: token.Grants{
			Role: "speaker",
			Permissions: []string{
				"consume", "data.receive", "data.send", "metadata.update",
				"produce.camera", "produce.microphone", "produce.screen", "room.join",
			},
			Rooms:       []string{"lobby", "stage-1"},
			Participant: "alice-web-1",
		},
		User: &token.User{
			Type:     access.Authenticated,
			Name:     "Alice Example",
			Image:    "https://cdn.example.com/u/alice.png",
			Metadata: json.RawMessage(`{"team":"blue","level":3}`),
		},
	}
}

type keys struct {
	hs, dev, ed *token.Key
	set         *token.KeySet
}

func testKeys(t testing.TB) keys {
	t.Helper()
	hs, err := token.NewHMACKey("api_key_prod", secret, access.Production)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := token.NewHMACKey("api_key_dev", []byte("development-secret-0123456789abcdef"), access.Development)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := token.GenerateSigningKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	set, err := token.NewKeySet(hs, dev, ed.Public())
	if err != nil {
		t.Fatal(err)
	}
	return keys{hs: hs, dev: dev, ed: ed, set: set}
}

func verifier(set token.KeyResolver, opts ...token.Option) *token.Verifier {
	return token.NewVerifier(set, append([]token.Option{token.WithClock(func() time.Time { return now })}, opts...)...)
}

func mint(t testing.TB, k *token.Key, c *token.Claims) string {
	t.Helper()
	tok, err := token.Mint(k, c)
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	return tok
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	var te *token.Error
	if !errors.As(err, &te) {
		t.Fatalf("error %v is not a *token.Error", err)
	}
}

var enc = base64.RawURLEncoding

// forge returns a token with the given header and claims JSON, signed with
// HS256 under secret.
func forge(t testing.TB, header, claims string, key []byte) string {
	t.Helper()
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(claims))
	return input + "." + enc.EncodeToString(hmacSHA256(key, []byte(input)))
}

// segments splits a token into its three parts.
func segments(t testing.TB, tok string) (string, string, string) {
	t.Helper()
	p := strings.Split(tok, ".")
	if len(p) != 3 {
		t.Fatalf("token %q has %d parts", tok, len(p))
	}
	return p[0], p[1], p[2]
}

func verify(v *token.Verifier, tok string) (*token.Claims, error) {
	return v.Verify(context.Background(), tok)
}
