package token_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

// forgeEd returns a token with the given header and claims JSON, signed
// with EdDSA under priv.
func forgeEd(header, claims string, priv ed25519.PrivateKey) string {
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(claims))
	return input + "." + enc.EncodeToString(ed25519.Sign(priv, []byte(input)))
}

// TestHeaderMembers checks that a header holds alg, typ and kid and
// nothing else, each at most once, for Verify and Inspect, under both
// algorithms: a member the verifier would ignore could change how another
// implementation reads the token.
func TestHeaderMembers(t *testing.T) {
	hs, err := token.NewHMACKey("api_key_prod", secret, access.Production)
	if err != nil {
		t.Fatal(err)
	}
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))
	ed, err := token.NewEd25519Key("ed_key", priv)
	if err != nil {
		t.Fatal(err)
	}
	set, err := token.NewKeySet(hs, ed.Public())
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []struct {
		name, kid string
		sign      func(header, claims string) string
	}{
		{"HS256", "api_key_prod", func(h, c string) string { return forge(t, h, c, secret) }},
		{"EdDSA", "ed_key", func(h, c string) string { return forgeEd(h, c, priv) }},
	} {
		a, k := `"alg":"`+alg.name+`"`, `"kid":"`+alg.kid+`"`
		claims := body("")
		if alg.name == "EdDSA" {
			claims = `{"sub":"u1","aud":"rtc","exp":1800003600,"iat":1800000000,"jti":"j1"}`
		}
		t.Run(alg.name, func(t *testing.T) {
			for _, h := range []string{
				`{` + a + `,` + k + `}`,
				`{` + k + `,"typ":"JWT",` + a + `}`,
			} {
				tok := alg.sign(h, claims)
				if _, err := verify(verifier(set), tok); err != nil {
					t.Errorf("Verify rejects header %s: %v", h, err)
				}
				if _, _, err := token.Inspect(tok); err != nil {
					t.Errorf("Inspect rejects header %s: %v", h, err)
				}
			}
			for _, h := range []string{
				`{` + a + `,` + k + `,"cty":"JWT"}`,
				`{"cty":"JWT",` + a + `,"typ":"JWT",` + k + `}`,
				`{` + a + `,` + k + `,"x-trace":1}`,
				`{` + a + `,` + k + `,"b64":false}`,
				`{` + a + `,` + k + `,"":""}`,
				`{` + a + `,` + k + `,"jku":"https://x"}`,
				`{` + a + `,` + k + `,"Kid":"nobody"}`,
				`{` + a + `,` + a + `,` + k + `}`,
				`{` + a + `,` + k + `,` + k + `}`,
				`{` + a + `,"typ":"JWT","typ":"JWT",` + k + `}`,
				`{` + a + `,"\u006bid":"` + alg.kid + `",` + k + `}`,
			} {
				tok := alg.sign(h, claims)
				if _, err := verify(verifier(set), tok); !errors.Is(err, token.ErrMalformed) {
					t.Errorf("Verify of header %s: %v, want malformed", h, err)
				}
				if _, _, err := token.Inspect(tok); !errors.Is(err, token.ErrMalformed) {
					t.Errorf("Inspect of header %s: %v, want malformed", h, err)
				}
			}
		})
	}
}
