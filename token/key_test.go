package token_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

func TestNewKeyRejects(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		make func() (*token.Key, error)
	}{
		{"short secret", func() (*token.Key, error) { return token.NewHMACKey("k", secret[:31], access.Production) }},
		{"service HMAC", func() (*token.Key, error) { return token.NewHMACKey("k", secret, access.Service) }},
		{"empty id", func() (*token.Key, error) { return token.NewHMACKey("", secret, access.Production) }},
		{"id with quote", func() (*token.Key, error) { return token.NewHMACKey(`a"b`, secret, access.Production) }},
		{"id with space", func() (*token.Key, error) { return token.NewEd25519Key("a b", priv) }},
		{"long id", func() (*token.Key, error) { return token.NewEd25519PublicKey(strings.Repeat("k", 257), pub) }},
		{"short private key", func() (*token.Key, error) { return token.NewEd25519Key("k", priv[:32]) }},
		{"short public key", func() (*token.Key, error) { return token.NewEd25519PublicKey("k", pub[:31]) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.make()
			wantErr(t, err, token.ErrInvalidKey)
		})
	}
}

func TestJWK(t *testing.T) {
	k := testKeys(t)
	pubJWK, err := k.ed.PublicJWK()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kty":"OKP","crv":"Ed25519","x":"` + enc.EncodeToString(k.ed.PublicKey()) + `","kid":"` + k.ed.ID() + `","alg":"EdDSA","use":"sig"}`
	if string(pubJWK) != want {
		t.Fatalf("PublicJWK = %s\nwant %s", pubJWK, want)
	}
	privJWK, err := k.ed.PrivateJWK()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := token.ParseJWK(privJWK)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.ID() != k.ed.ID() || !loaded.PublicKey().Equal(k.ed.PublicKey()) || loaded.Kind() != access.Service {
		t.Fatal("private JWK did not load back the same key")
	}
	set, err := token.NewKeySet(k.ed.Public())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verify(verifier(set), mint(t, loaded, sampleClaims())); err != nil {
		t.Fatalf("token of the reloaded key: %v", err)
	}
	pubOnly, err := token.ParseJWK(pubJWK)
	if err != nil {
		t.Fatal(err)
	}
	_, err = token.Mint(pubOnly, sampleClaims())
	wantErr(t, err, token.ErrInvalidKey)
	if _, err := k.hs.PublicJWK(); err == nil {
		t.Fatal("HS256 key has a JWK")
	}
	if _, err := pubOnly.PrivateJWK(); err == nil {
		t.Fatal("public key has a private JWK")
	}
}

func TestParseJWKRejects(t *testing.T) {
	k := testKeys(t)
	other, err := token.GenerateSigningKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := k.ed.PrivateJWK()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(priv, &m); err != nil {
		t.Fatal(err)
	}
	with := func(key, value string) []byte {
		t.Helper()
		c := map[string]string{}
		for k, v := range m {
			c[k] = v
		}
		if value == "" {
			delete(c, key)
		} else {
			c[key] = value
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		jwk  []byte
	}{
		{"x does not match d", with("x", enc.EncodeToString(other.PublicKey()))},
		{"no kid", with("kid", "")},
		{"alg RS256", with("alg", "RS256")},
		{"use enc", with("use", "enc")},
		{"symmetric", []byte(`{"kty":"oct","k":"` + enc.EncodeToString(secret) + `","kid":"x"}`)},
		{"not JSON", []byte(`{`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := token.ParseJWK(tc.jwk)
			wantErr(t, err, token.ErrInvalidKey)
		})
	}
}

func TestJWKS(t *testing.T) {
	k := testKeys(t)
	doc, err := k.set.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(doc), `"d"`) || strings.Contains(string(doc), "api_key_prod") {
		t.Fatalf("JWKS leaks secrets or HS256 keys: %s", doc)
	}
	// A foreign set: an RSA key, a symmetric key and our Ed25519 key.
	var parsed struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(doc, &parsed); err != nil {
		t.Fatal(err)
	}
	foreign := `{"keys":[{"kty":"RSA","kid":"r","n":"sXch","e":"AQAB"},{"kty":"oct","kid":"api_key_prod","k":"` +
		enc.EncodeToString(secret) + `"},` + string(parsed.Keys[0]) + `]}`
	set, err := token.ParseJWKS([]byte(foreign))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(set.Keys()); n != 1 {
		t.Fatalf("parsed %d keys, want only the Ed25519 key", n)
	}
	if _, err := verify(verifier(set), mint(t, k.ed, sampleClaims())); err != nil {
		t.Fatalf("EdDSA token with parsed JWKS: %v", err)
	}
	_, err = verify(verifier(set), mint(t, k.hs, sampleClaims()))
	wantErr(t, err, token.ErrUnknownKey)
	if _, err := set.ResolveKey(context.Background(), "api_key_prod"); err == nil {
		t.Fatal("symmetric key from a JWKS was accepted")
	}
	for _, bad := range []string{`{}`, `{"keys":[` + string(parsed.Keys[0]) + `,` + string(parsed.Keys[0]) + `]}`, `{"Keys":[]}`, `[`} {
		_, err := token.ParseJWKS([]byte(bad))
		wantErr(t, err, token.ErrInvalidKey)
	}
}

func TestNewKeySetDuplicate(t *testing.T) {
	k := testKeys(t)
	_, err := token.NewKeySet(k.hs, k.hs)
	wantErr(t, err, token.ErrInvalidKey)
}
