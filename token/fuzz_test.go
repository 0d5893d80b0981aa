package token_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

// fuzzSigners returns fixed keys, so that tokens in the corpus stay valid.
func fuzzSigners(t testing.TB) (map[string]*token.Key, *token.KeySet) {
	t.Helper()
	hs, err := token.NewHMACKey("api_key_prod", secret, access.Production)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := token.NewEd25519Key("ed_fuzz", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	set, err := token.NewKeySet(hs, ed.Public())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*token.Key{hs.ID(): hs, ed.ID(): ed}, set
}

// FuzzVerify feeds arbitrary tokens to Verify. Whatever it accepts must
// mint again, with the same key, into a token that verifies to the same
// claims, unless its grants step outside the vocabulary: then Mint and
// GrantsOf both refuse them.
func FuzzVerify(f *testing.F) {
	signers, set := fuzzSigners(f)
	f.Add(mint(f, signers["api_key_prod"], sampleClaims()))
	f.Add(mint(f, signers["ed_fuzz"], sampleClaims()))
	f.Add(forge(f, hsHeader, body(`,"user":{"type":"guest","metadata":[{"a":"\u00e9"}]},"grants":{"rooms":["r"]}`), secret))
	f.Add(forge(f, hsHeader, body(`,"dev":true,"x":{"y":[]}`), secret))
	f.Add(forge(f, hsHeader, body(`,"grants":{"role":"no-such-role","permissions":["consume","produce.camrea"]}`), secret))
	f.Add(forge(f, hsHeader, body(`,"grants":{"role":"HOST","permissions":["consume"]}`), secret))
	f.Add("e30.e30.")
	v := verifier(set)
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := verify(v, tok)
		if err != nil {
			var te *token.Error
			if !errors.As(err, &te) {
				t.Fatalf("error %v is not a *token.Error", err)
			}
			return
		}
		h, _, err := token.Inspect(tok)
		if err != nil {
			t.Fatalf("Inspect rejects a verified token: %v", err)
		}
		if outsideVocabulary(t, signers[h.Kid], c) {
			return
		}
		again, err := verify(v, mint(t, signers[h.Kid], c))
		if err != nil {
			t.Fatalf("re-minted token rejected: %v", err)
		}
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("re-minted claims differ\n got %+v\nwant %+v", again, c)
		}
	})
}

// outsideVocabulary reports whether c's role or permissions are outside
// access's vocabulary, which Mint with k refuses as invalid claims exactly
// when GrantsOf refuses them as malformed. Other faults GrantsOf finds
// (names that break access.CheckName) are no concern of Mint's.
func outsideVocabulary(t *testing.T, k *token.Key, c *token.Claims) bool {
	t.Helper()
	only := &token.Claims{ID: "j", IssuedAt: now, ExpiresAt: now.Add(time.Minute),
		Grants: token.Grants{Role: c.Grants.Role, Permissions: c.Grants.Permissions}}
	_, err := token.GrantsOf(only)
	_, merr := token.Mint(k, only)
	if (err != nil) != errors.Is(merr, token.ErrInvalidClaims) {
		t.Fatalf("GrantsOf says %v of the role and permissions, Mint %v", err, merr)
	}
	return err != nil
}

// FuzzParse builds HS256 tokens from arbitrary header and claims JSON.
// Whatever Inspect accepts must mint again into the same claims, unless
// its lifetime is over the cap that Mint enforces or its grants are
// outside the vocabulary.
func FuzzParse(f *testing.F) {
	signers, set := fuzzSigners(f)
	f.Add(hsHeader, body(""))
	f.Add(hsHeader, body(`,"nbf":0,"dev":false,"grants":{"role":"","permissions":[],"rooms":["a","b"]}`))
	f.Add(`{"alg":"HS256","kid":"api_key_prod","x":null}`, body(`,"user":{"type":"anonymous","name":"\ud83d\ude00\u0000","metadata":-0.5e-3}`))
	f.Add(`{"alg":"none","kid":"k"}`, `{"exp":253402300799,"iat":0,"jti":"j","EXP":1}`)
	f.Add(hsHeader, `{"exp":1800003600,"iat":1800000000,"jti":"j","app":"a\"b\\c\n"}`)
	f.Add(hsHeader, body(`,"grants":{"role":"Host","permissions":["room.join","teleport"]}`))
	v := verifier(set)
	f.Fuzz(func(t *testing.T, header, claims string) {
		tok := forge(t, header, claims, secret)
		_, verr := verify(v, tok)
		_, c, err := token.Inspect(tok)
		if err != nil {
			if verr == nil {
				t.Fatalf("Verify accepts what Inspect rejects: %v", err)
			}
			return
		}
		if outsideVocabulary(t, signers["ed_fuzz"], c) {
			return
		}
		again, err := token.Mint(signers["ed_fuzz"], c)
		if errors.Is(err, token.ErrLifetimeTooLong) {
			return
		}
		if err != nil {
			t.Fatalf("Mint rejects inspected claims %+v: %v", c, err)
		}
		_, c2, err := token.Inspect(again)
		if err != nil {
			t.Fatalf("Inspect rejects a minted token: %v", err)
		}
		if !reflect.DeepEqual(c2, c) {
			t.Fatalf("re-minted claims differ\n got %+v\nwant %+v", c2, c)
		}
	})
}

// edJWK returns the public JWK of a fixed Ed25519 key with id kid, and its
// seed as the private member d.
func edJWK(t testing.TB, kid string, seed byte) (public, private string) {
	t.Helper()
	k, err := token.NewEd25519Key(kid, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := k.PublicJWK()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := k.PrivateJWK()
	if err != nil {
		t.Fatal(err)
	}
	return string(pub), string(priv)
}

// FuzzParseJWKS feeds arbitrary documents to ParseJWKS. A set it accepts
// holds Ed25519 verification keys only, with distinct ids, and publishing
// it and parsing that again gives the same keys; a rejected document
// gives no set.
func FuzzParseJWKS(f *testing.F) {
	_, set := fuzzSigners(f)
	published, err := set.JWKS()
	if err != nil {
		f.Fatal(err)
	}
	pubA, privA := edJWK(f, "a", 1)
	pubB, _ := edJWK(f, "b", 2)
	f.Add(published)
	f.Add([]byte(`{"keys":[` + pubA + `,` + pubB + `]}`))
	f.Add([]byte(`{"keys":[` + privA + `]}`))
	f.Add([]byte(`{"keys":[` + pubA + `,` + pubA + `]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0","kid":"hs"},{"kty":"RSA","n":"AQAB","e":"AQAB"},{"kty":"EC","crv":"P-256","x":"AA","y":"AA"},` + pubA + `]}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"X25519","x":"AA","kid":"x"}]}`))
	f.Add([]byte(strings.Replace(pubA, `"EdDSA"`, `"HS256"`, 1)))
	f.Add([]byte(`{"keys":[` + strings.Replace(pubA, `"kid":"a",`, ``, 1) + `]}`))
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := token.ParseJWKS(data)
		if err != nil {
			if got != nil || !errors.Is(err, token.ErrInvalidKey) {
				t.Fatalf("ParseJWKS = %v, %v", got, err)
			}
			return
		}
		keys := got.Keys()
		ids := map[string]bool{}
		for _, k := range keys {
			if k.Algorithm() != token.EdDSA || k.Kind() != access.Service || len(k.PublicKey()) != ed25519.PublicKeySize {
				t.Fatalf("key %q: %s %v with a %d-byte public key", k.ID(), k.Algorithm(), k.Kind(), len(k.PublicKey()))
			}
			if _, err := k.PrivateJWK(); err == nil {
				t.Fatalf("key %q kept its private part", k.ID())
			}
			if ids[k.ID()] {
				t.Fatalf("key id %q twice", k.ID())
			}
			ids[k.ID()] = true
		}
		doc, err := got.JWKS()
		if err != nil {
			t.Fatal(err)
		}
		again, err := token.ParseJWKS(doc)
		if err != nil {
			t.Fatalf("ParseJWKS rejects its own set %s: %v", doc, err)
		}
		if !slices.EqualFunc(again.Keys(), keys, sameKey) {
			t.Fatalf("republished set differs: %s", doc)
		}
	})
}

// FuzzParseJWK feeds arbitrary documents to ParseJWK. A key it accepts is
// an Ed25519 key whose JWK forms parse back to it; a signing key's tokens
// verify under its public half; a rejected document gives no key.
func FuzzParseJWK(f *testing.F) {
	pub, priv := edJWK(f, "a", 1)
	f.Add([]byte(pub))
	f.Add([]byte(priv))
	f.Add([]byte(strings.Replace(priv, `"x":"`, `"x":"A`, 1)))
	f.Add([]byte(strings.Replace(pub, `"use":"sig"`, `"use":"enc"`, 1)))
	f.Add([]byte(`{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0","kid":"hs","alg":"HS256"}`))
	f.Add([]byte(`{"kty":"OKP","crv":"Ed25519","x":"","kid":"a"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := token.ParseJWK(data)
		if err != nil {
			if k != nil || !errors.Is(err, token.ErrInvalidKey) {
				t.Fatalf("ParseJWK = %v, %v", k, err)
			}
			return
		}
		if k.Algorithm() != token.EdDSA || k.Kind() != access.Service || len(k.PublicKey()) != ed25519.PublicKeySize {
			t.Fatalf("key %q: %s %v with a %d-byte public key", k.ID(), k.Algorithm(), k.Kind(), len(k.PublicKey()))
		}
		doc, err := k.PublicJWK()
		if err != nil {
			t.Fatal(err)
		}
		public, err := token.ParseJWK(doc)
		if err != nil || !sameKey(public, k) {
			t.Fatalf("public JWK %s parses to %v, %v", doc, public, err)
		}
		c := sampleClaims()
		tok, err := token.Mint(k, c)
		if _, perr := k.PrivateJWK(); perr != nil {
			if !errors.Is(err, token.ErrInvalidKey) {
				t.Fatalf("a key without a private part mints: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Mint with a signing key: %v", err)
		}
		set, err := token.NewKeySet(public)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := verify(verifier(set), tok); err != nil {
			t.Fatalf("its public half rejects its token: %v", err)
		}
	})
}

// sameKey reports whether a and b are the same Ed25519 key id and public
// key.
func sameKey(a, b *token.Key) bool {
	return a.ID() == b.ID() && a.Algorithm() == b.Algorithm() && bytes.Equal(a.PublicKey(), b.PublicKey())
}
