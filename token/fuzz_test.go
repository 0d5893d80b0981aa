package token_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"reflect"
	"testing"

	"github.com/stagedoor/stagedoor/token"
)

// fuzzSigners returns fixed keys, so that tokens in the corpus stay valid.
func fuzzSigners(t testing.TB) (map[string]*token.Key, *token.KeySet) {
	t.Helper()
	hs, err := token.NewHMACKey("api_key_prod", secret, token.Production)
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
// claims.
func FuzzVerify(f *testing.F) {
	signers, set := fuzzSigners(f)
	f.Add(mint(f, signers["api_key_prod"], sampleClaims()))
	f.Add(mint(f, signers["ed_fuzz"], sampleClaims()))
	f.Add(forge(f, hsHeader, body(`,"user":{"type":"guest","metadata":[{"a":"\u00e9"}]},"grants":{"rooms":["r"]}`), secret))
	f.Add(forge(f, hsHeader, body(`,"dev":true,"x":{"y":[]}`), secret))
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
		again, err := verify(v, mint(t, signers[h.Kid], c))
		if err != nil {
			t.Fatalf("re-minted token rejected: %v", err)
		}
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("re-minted claims differ\n got %+v\nwant %+v", again, c)
		}
	})
}

// FuzzParse builds HS256 tokens from arbitrary header and claims JSON.
// Whatever Inspect accepts must mint again into the same claims, unless
// its lifetime is over the cap that Mint enforces.
func FuzzParse(f *testing.F) {
	signers, set := fuzzSigners(f)
	f.Add(hsHeader, body(""))
	f.Add(hsHeader, body(`,"nbf":0,"dev":false,"grants":{"role":"","permissions":[],"rooms":["a","b"]}`))
	f.Add(`{"alg":"HS256","kid":"api_key_prod","x":null}`, body(`,"user":{"type":"anonymous","name":"\ud83d\ude00\u0000","metadata":-0.5e-3}`))
	f.Add(`{"alg":"none","kid":"k"}`, `{"exp":253402300799,"iat":0,"jti":"j","EXP":1}`)
	f.Add(hsHeader, `{"exp":1800003600,"iat":1800000000,"jti":"j","app":"a\"b\\c\n"}`)
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
