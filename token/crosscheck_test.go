package token_test

import (
	"crypto/ed25519"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/golang-jwt/jwt/v5"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

// joseClaims is the stagedoor claim set for go-jose's jwt package.
type joseClaims struct {
	josejwt.Claims
	Aud    string    `json:"aud"`
	App    string    `json:"app,omitempty"`
	Grants jwtGrants `json:"grants"`
	User   *jwtUser  `json:"user,omitempty"`
	Dev    bool      `json:"dev,omitempty"`
}

func TestOthersVerifyOurs(t *testing.T) {
	k := testKeys(t)
	c := sampleClaims()
	hsTok, edTok := mint(t, k.hs, c), mint(t, k.ed, c)
	want := toJWT(c, k.hs.ID())
	jwks, err := k.set.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatal(err)
	}
	pub, ok := set.Key(k.ed.ID())[0].Key.(ed25519.PublicKey)
	if !ok {
		t.Fatal("JWKS key is not an Ed25519 public key")
	}
	opts := []jwt.ParserOption{jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithAudience(string(access.AudienceRTC)), jwt.WithExpirationRequired()}

	t.Run("golang-jwt HS256", func(t *testing.T) {
		var got jwtClaims
		tok, err := jwt.ParseWithClaims(hsTok, &got, func(*jwt.Token) (any, error) { return secret, nil },
			append(opts, jwt.WithValidMethods([]string{"HS256"}))...)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Header["kid"] != k.hs.ID() || tok.Header["typ"] != "JWT" {
			t.Fatalf("header = %v", tok.Header)
		}
		if !reflect.DeepEqual(utc(&got), want) {
			t.Fatalf("claims differ\n got %+v\nwant %+v", got, want)
		}
	})
	t.Run("golang-jwt EdDSA with key from our JWKS", func(t *testing.T) {
		var got jwtClaims
		_, err := jwt.ParseWithClaims(edTok, &got, func(*jwt.Token) (any, error) { return pub, nil },
			append(opts, jwt.WithValidMethods([]string{"EdDSA"}))...)
		if err != nil {
			t.Fatal(err)
		}
		want := *want
		want.Issuer = ""
		if !reflect.DeepEqual(utc(&got), &want) {
			t.Fatalf("claims differ\n got %+v\nwant %+v", got, want)
		}
	})
	t.Run("go-jose HS256", func(t *testing.T) {
		parsed, err := josejwt.ParseSigned(hsTok, []jose.SignatureAlgorithm{jose.HS256})
		if err != nil {
			t.Fatal(err)
		}
		var got joseClaims
		if err := parsed.Claims(secret, &got); err != nil {
			t.Fatal(err)
		}
		checkJOSE(t, &got, c, k.hs.ID())
	})
	t.Run("go-jose EdDSA with our JWKS", func(t *testing.T) {
		parsed, err := josejwt.ParseSigned(edTok, []jose.SignatureAlgorithm{jose.EdDSA})
		if err != nil {
			t.Fatal(err)
		}
		var got joseClaims
		if err := parsed.Claims(set, &got); err != nil {
			t.Fatal(err)
		}
		checkJOSE(t, &got, c, "")
	})
}

// utc returns j with its times in UTC, as golang-jwt parses them local.
func utc(j *jwtClaims) *jwtClaims {
	for _, d := range []*jwt.NumericDate{j.ExpiresAt, j.NotBefore, j.IssuedAt} {
		if d != nil {
			d.Time = d.UTC()
		}
	}
	return j
}

func checkJOSE(t *testing.T, got *joseClaims, c *token.Claims, iss string) {
	t.Helper()
	if err := got.Claims.ValidateWithLeeway(josejwt.Expected{Time: now}, 0); err != nil {
		t.Fatal(err)
	}
	if got.Issuer != iss || got.Subject != c.Subject || got.Aud != string(c.Audience) || got.ID != c.ID ||
		!got.Expiry.Time().Equal(c.ExpiresAt) || got.App != c.App ||
		!reflect.DeepEqual(got.Grants, jwtGrants(c.Grants)) || !reflect.DeepEqual(*got.User, jwtUser(*c.User)) {
		t.Fatalf("claims differ: %+v", got)
	}
}

func TestWeVerifyTheirs(t *testing.T) {
	k := testKeys(t)
	c := sampleClaims()
	priv := edPrivate(t, k.ed)
	v := verifier(k.set, token.WithAudience(access.AudienceRTC))

	golangJWT := func(method jwt.SigningMethod, kid, iss string, key any) string {
		t.Helper()
		tok := jwt.NewWithClaims(method, toJWT(c, iss))
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	goJOSE := func(alg jose.SignatureAlgorithm, kid, iss string, key any) string {
		t.Helper()
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
			(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
		if err != nil {
			t.Fatal(err)
		}
		j := toJWT(c, iss)
		s, err := josejwt.Signed(signer).Claims(&joseClaims{
			Claims: josejwt.Claims{
				Issuer: iss, Subject: c.Subject, ID: c.ID,
				Expiry: josejwt.NewNumericDate(c.ExpiresAt), NotBefore: josejwt.NewNumericDate(c.NotBefore),
				IssuedAt: josejwt.NewNumericDate(c.IssuedAt),
			},
			Aud: string(c.Audience), App: c.App, Grants: j.Grants, User: j.User,
		}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct {
		name, tok, iss string
	}{
		{"golang-jwt HS256", golangJWT(jwt.SigningMethodHS256, k.hs.ID(), k.hs.ID(), secret), k.hs.ID()},
		{"golang-jwt EdDSA", golangJWT(jwt.SigningMethodEdDSA, k.ed.ID(), "", priv), ""},
		{"go-jose HS256", goJOSE(jose.HS256, k.hs.ID(), k.hs.ID(), secret), k.hs.ID()},
		{"go-jose EdDSA", goJOSE(jose.EdDSA, k.ed.ID(), "", priv), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := verify(v, tc.tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := *c
			want.Issuer = tc.iss
			// go-jose reorders object members, so metadata is compared
			// as JSON values.
			var gm, wm any
			if json.Unmarshal(got.User.Metadata, &gm) != nil || json.Unmarshal(want.User.Metadata, &wm) != nil ||
				!reflect.DeepEqual(gm, wm) {
				t.Fatalf("metadata = %s, want %s", got.User.Metadata, want.User.Metadata)
			}
			got.User.Metadata = want.User.Metadata
			if !reflect.DeepEqual(got, &want) {
				t.Fatalf("claims differ\n got %+v %+v\nwant %+v %+v", got, got.User, &want, want.User)
			}
		})
	}
}
