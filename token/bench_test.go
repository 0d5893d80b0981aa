package token_test

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

// Each benchmark signs or verifies sampleClaims: ours, golang-jwt v5 with
// the same claims, and the raw crypto over the same signing input as the
// floor.

func BenchmarkMint(b *testing.B) {
	k := testKeys(b)
	c := sampleClaims()
	b.Run("HS256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := token.Mint(k.hs, c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("golang-jwt-HS256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t := jwt.NewWithClaims(jwt.SigningMethodHS256, toJWT(c, k.hs.ID()))
			t.Header["kid"] = k.hs.ID()
			if _, err := t.SignedString(secret); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-HMAC-SHA256", func(b *testing.B) {
		input := signingInput(b, mint(b, k.hs, c))
		h := hmac.New(sha256.New, secret)
		var sum [sha256.Size]byte
		b.ReportAllocs()
		for b.Loop() {
			h.Reset()
			h.Write(input)
			h.Sum(sum[:0])
		}
	})
	b.Run("EdDSA", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := token.Mint(k.ed, c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-ed25519-Sign", func(b *testing.B) {
		input := signingInput(b, mint(b, k.ed, c))
		priv := edPrivate(b, k.ed)
		b.ReportAllocs()
		for b.Loop() {
			ed25519.Sign(priv, input)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	k := testKeys(b)
	c := sampleClaims()
	v := verifier(k.set, token.WithAudience(access.AudienceRTC))
	ctx := context.Background()
	hsTok, edTok := mint(b, k.hs, c), mint(b, k.ed, c)
	b.Run("HS256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, hsTok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("golang-jwt-HS256", func(b *testing.B) {
		p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(string(access.AudienceRTC)),
			jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(30*time.Second),
			jwt.WithTimeFunc(func() time.Time { return now }))
		keyFunc := func(*jwt.Token) (any, error) { return secret, nil }
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.ParseWithClaims(hsTok, &jwtClaims{}, keyFunc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-HMAC-SHA256", func(b *testing.B) {
		input := signingInput(b, hsTok)
		h := hmac.New(sha256.New, secret)
		var sum [sha256.Size]byte
		b.ReportAllocs()
		for b.Loop() {
			h.Reset()
			h.Write(input)
			h.Sum(sum[:0])
		}
	})
	b.Run("EdDSA", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, edTok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-ed25519-Verify", func(b *testing.B) {
		input := signingInput(b, edTok)
		sig, err := enc.DecodeString(edTok[strings.LastIndexByte(edTok, '.')+1:])
		if err != nil {
			b.Fatal(err)
		}
		pub := k.ed.PublicKey()
		b.ReportAllocs()
		for b.Loop() {
			if !ed25519.Verify(pub, input, sig) {
				b.Fatal("bad signature")
			}
		}
	})
}

func signingInput(tb testing.TB, tok string) []byte {
	tb.Helper()
	return []byte(tok[:strings.LastIndexByte(tok, '.')])
}

// edPrivate recovers the private key of k from its private JWK.
func edPrivate(tb testing.TB, k *token.Key) ed25519.PrivateKey {
	tb.Helper()
	jwk, err := k.PrivateJWK()
	if err != nil {
		tb.Fatal(err)
	}
	var m struct{ D string }
	if err := json.Unmarshal(jwk, &m); err != nil {
		tb.Fatal(err)
	}
	seed, err := enc.DecodeString(m.D)
	if err != nil {
		tb.Fatal(err)
	}
	return ed25519.NewKeyFromSeed(seed)
}
