package token_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"reflect"
	"testing"

	"github.com/stagedoor/stagedoor/token"
)

func hmacSHA256(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

func TestRoundTrip(t *testing.T) {
	k := testKeys(t)
	v := verifier(k.set)
	for _, tc := range []struct {
		name    string
		key     *token.Key
		wantIss string
		wantDev bool
	}{
		{"HS256 production", k.hs, "api_key_prod", false},
		{"HS256 development", k.dev, "api_key_dev", true},
		{"EdDSA", k.ed, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sampleClaims()
			tok := mint(t, tc.key, c)
			got, err := verify(v, tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := *c
			want.Issuer = tc.wantIss
			want.Dev = tc.wantDev
			if !reflect.DeepEqual(got, &want) {
				t.Fatalf("claims differ\n got %+v\nwant %+v", got, &want)
			}
			h, ins, err := token.Inspect(tok)
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if *h != (token.Header{Alg: tc.key.Algorithm(), Typ: "JWT", Kid: tc.key.ID()}) {
				t.Fatalf("header = %+v", h)
			}
			if !reflect.DeepEqual(ins, got) {
				t.Fatalf("Inspect claims differ from Verify claims")
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	k := testKeys(t)
	v := verifier(k.set)
	done := make(chan error)
	for i := range 8 {
		go func() {
			var err error
			for j := 0; j < 50 && err == nil; j++ {
				c := sampleClaims()
				c.ID = fmt.Sprint(i, "-", j)
				key := k.hs
				if j%2 == 1 {
					key = k.ed
				}
				var tok string
				if tok, err = token.Mint(key, c); err == nil {
					var got *token.Claims
					if got, err = v.Verify(context.Background(), tok); err == nil && got.ID != c.ID {
						err = fmt.Errorf("jti = %q, want %q", got.ID, c.ID)
					}
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
