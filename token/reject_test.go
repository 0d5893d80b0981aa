package token_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

const hsHeader = `{"alg":"HS256","typ":"JWT","kid":"api_key_prod"}`

// body returns a valid claim set for the production HS256 key, with extra
// members appended.
func body(extra string) string {
	return `{"iss":"api_key_prod","sub":"u1","aud":"rtc","exp":1800003600,"iat":1800000000,"jti":"j1"` + extra + `}`
}

func TestVerifyRejects(t *testing.T) {
	k := testKeys(t)
	devSecret := []byte("development-secret-0123456789abcdef")
	good := mint(t, k.hs, sampleClaims())
	gh, gp, gs := segments(t, good)
	edTok := mint(t, k.ed, sampleClaims())
	eh, ep, _ := segments(t, edTok)
	other, err := token.GenerateSigningKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	otherTok, err := token.Mint(other, sampleClaims())
	if err != nil {
		t.Fatal(err)
	}
	_, _, otherSig := segments(t, otherTok)
	edHeader := `{"alg":"EdDSA","typ":"JWT","kid":"` + k.ed.ID() + `"}`
	flip := func(s string) string {
		if s[0] == 'A' {
			return "B" + s[1:]
		}
		return "A" + s[1:]
	}
	date := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }

	for _, tc := range []struct {
		name string
		tok  string
		opts []token.Option
		want error
	}{
		{"oversized", strings.Repeat("a", token.DefaultMaxSize+1), nil, token.ErrTooLarge},
		{"over configured size", good, []token.Option{token.WithMaxSize(100)}, token.ErrTooLarge},
		{"bad character", gh + "." + gp + "." + gs[:len(gs)-1] + "+", nil, token.ErrMalformed},
		{"padding", gh + "=." + gp + "." + gs, nil, token.ErrMalformed},
		{"space", gh + " ." + gp + "." + gs, nil, token.ErrMalformed},
		{"one dot", gh + "." + gp, nil, token.ErrMalformed},
		{"three dots", good + ".", nil, token.ErrMalformed},
		{"empty", "", nil, token.ErrMalformed},
		{"empty header", "." + gp + "." + gs, nil, token.ErrMalformed},
		{"tampered payload", gh + "." + flip(gp) + "." + gs, nil, token.ErrBadSignature},
		{"tampered header", enc.EncodeToString([]byte(`{"alg":"HS256","kid":"api_key_prod"}`)) + "." + gp + "." + gs, nil, token.ErrBadSignature},
		{"tampered signature", gh + "." + gp + "." + flip(gs), nil, token.ErrBadSignature},
		{"truncated signature", gh + "." + gp + "." + gs[:len(gs)-2], nil, token.ErrBadSignature},
		{"empty signature", gh + "." + gp + ".", nil, token.ErrBadSignature},
		{"wrong secret", forge(t, hsHeader, body(""), []byte("another-secret-0123456789abcdef-xyz")), nil, token.ErrBadSignature},
		{"EdDSA wrong key", eh + "." + ep + "." + otherSig, nil, token.ErrBadSignature},
		{"EdDSA tampered payload", eh + "." + flip(ep) + "." + otherSig, nil, token.ErrBadSignature},
		{"alg none", enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"api_key_prod"}`)) + "." + gp + ".", nil, token.ErrAlgorithmNotAllowed},
		{"alg HS512", forge(t, `{"alg":"HS512","kid":"api_key_prod"}`, body(""), secret), nil, token.ErrAlgorithmNotAllowed},
		{"alg RS256", forge(t, `{"alg":"RS256","kid":"api_key_prod"}`, body(""), secret), nil, token.ErrAlgorithmNotAllowed},
		{"HS256 with Ed25519 public key as secret", forge(t, `{"alg":"HS256","typ":"JWT","kid":"`+k.ed.ID()+`"}`, body(""), k.ed.PublicKey()), nil, token.ErrAlgorithmNotAllowed},
		{"HS256 header on EdDSA token", enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"`+k.ed.ID()+`"}`)) + "." + ep + "." + otherSig, nil, token.ErrAlgorithmNotAllowed},
		{"EdDSA with HMAC key id", enc.EncodeToString([]byte(`{"alg":"EdDSA","typ":"JWT","kid":"api_key_prod"}`)) + "." + gp + "." + otherSig, nil, token.ErrAlgorithmNotAllowed},
		{"unknown kid", forge(t, `{"alg":"HS256","kid":"nobody"}`, body(""), secret), nil, token.ErrUnknownKey},
		{"missing kid", forge(t, `{"alg":"HS256","typ":"JWT"}`, body(""), secret), nil, token.ErrMalformed},
		{"missing alg", forge(t, `{"typ":"JWT","kid":"api_key_prod"}`, body(""), secret), nil, token.ErrMalformed},
		{"typ not JWT", forge(t, `{"alg":"HS256","typ":"at+jwt","kid":"api_key_prod"}`, body(""), secret), nil, token.ErrMalformed},
		{"header jku", forge(t, `{"alg":"HS256","kid":"api_key_prod","jku":"https://x"}`, body(""), secret), nil, token.ErrMalformed},
		{"header jwk", forge(t, `{"alg":"HS256","kid":"api_key_prod","jwk":{}}`, body(""), secret), nil, token.ErrMalformed},
		{"header x5u", forge(t, `{"alg":"HS256","kid":"api_key_prod","x5u":"https://x"}`, body(""), secret), nil, token.ErrMalformed},
		{"header x5c", forge(t, `{"alg":"HS256","kid":"api_key_prod","x5c":[]}`, body(""), secret), nil, token.ErrMalformed},
		{"header crit", forge(t, `{"alg":"HS256","kid":"api_key_prod","crit":["exp"]}`, body(""), secret), nil, token.ErrMalformed},
		{"header zip", forge(t, `{"alg":"HS256","kid":"api_key_prod","zip":"DEF"}`, body(""), secret), nil, token.ErrMalformed},
		{"header enc", forge(t, `{"alg":"HS256","kid":"api_key_prod","enc":"A128GCM"}`, body(""), secret), nil, token.ErrMalformed},
		{"header duplicate kid", forge(t, `{"alg":"HS256","kid":"nobody","kid":"api_key_prod"}`, body(""), secret), nil, token.ErrMalformed},
		{"header case variant", forge(t, `{"alg":"HS256","kid":"api_key_prod","KID":"nobody"}`, body(""), secret), nil, token.ErrMalformed},
		{"header invalid UTF-8", forge(t, `{"alg":"HS256","kid":"api_key_prod","x":"`+"\xff"+`"}`, body(""), secret), nil, token.ErrMalformed},
		{"header trailing data", forge(t, hsHeader+`{}`, body(""), secret), nil, token.ErrMalformed},
		{"header not object", forge(t, `["HS256"]`, body(""), secret), nil, token.ErrMalformed},
		{"claims not object", forge(t, hsHeader, `"x"`, secret), nil, token.ErrMalformed},
		{"duplicate exp", forge(t, hsHeader, body(`,"exp":1800003601`), secret), nil, token.ErrMalformed},
		{"duplicate unknown", forge(t, hsHeader, body(`,"x":1,"x":2`), secret), nil, token.ErrMalformed},
		{"duplicate escaped", forge(t, hsHeader, body(`,"\u0065xp":1800003601`), secret), nil, token.ErrMalformed},
		{"duplicate in metadata", forge(t, hsHeader, body(`,"user":{"type":"guest","metadata":{"a":1,"a":2}}`), secret), nil, token.ErrMalformed},
		{"case variant EXP", forge(t, hsHeader, body(`,"EXP":1`), secret), nil, token.ErrMalformed},
		{"case variant Exp instead of exp", forge(t, hsHeader, `{"iss":"api_key_prod","Exp":1800003600,"iat":1800000000,"jti":"j1"}`, secret), nil, token.ErrMalformed},
		{"case variant by Unicode folding", forge(t, hsHeader, body(`,"`+"\u017f"+`ub":"x"`), secret), nil, token.ErrMalformed},
		{"invalid UTF-8", forge(t, hsHeader, body(`,"app":"`+"a\xc3"+`"`), secret), nil, token.ErrMalformed},
		{"lone surrogate", forge(t, hsHeader, body(`,"app":"\ud800"`), secret), nil, token.ErrMalformed},
		{"control character", forge(t, hsHeader, body(`,"app":"a`+"\n"+`"`), secret), nil, token.ErrMalformed},
		{"trailing object", forge(t, hsHeader, body("")+`{}`, secret), nil, token.ErrMalformed},
		{"trailing garbage", forge(t, hsHeader, body("")+`x`, secret), nil, token.ErrMalformed},
		{"unterminated", forge(t, hsHeader, strings.TrimSuffix(body(""), "}"), secret), nil, token.ErrMalformed},
		{"rooms empty", forge(t, hsHeader, body(`,"grants":{"rooms":[]}`), secret), nil, token.ErrMalformed},
		{"rooms null", forge(t, hsHeader, body(`,"grants":{"rooms":null}`), secret), nil, token.ErrMalformed},
		{"rooms duplicate", forge(t, hsHeader, body(`,"grants":{"rooms":["a","a"]}`), secret), nil, token.ErrMalformed},
		{"rooms empty name", forge(t, hsHeader, body(`,"grants":{"rooms":[""]}`), secret), nil, token.ErrMalformed},
		{"permissions non-string", forge(t, hsHeader, body(`,"grants":{"permissions":["room.join",1]}`), secret), nil, token.ErrMalformed},
		{"permissions duplicate", forge(t, hsHeader, body(`,"grants":{"permissions":["room.join","room.join"]}`), secret), nil, token.ErrMalformed},
		{"permissions unsorted", forge(t, hsHeader, body(`,"grants":{"permissions":["room.join","chat.send"]}`), secret), nil, token.ErrMalformed},
		{"grants unknown member", forge(t, hsHeader, body(`,"grants":{"admin":true}`), secret), nil, token.ErrMalformed},
		{"grants null", forge(t, hsHeader, body(`,"grants":null`), secret), nil, token.ErrMalformed},
		{"user null", forge(t, hsHeader, body(`,"user":null`), secret), nil, token.ErrMalformed},
		{"user bad type", forge(t, hsHeader, body(`,"user":{"type":"robot"}`), secret), nil, token.ErrMalformed},
		{"aud array", forge(t, hsHeader, `{"iss":"api_key_prod","aud":["rtc"],"exp":1800003600,"iat":1800000000,"jti":"j1"}`, secret), nil, token.ErrMalformed},
		{"dev not boolean", forge(t, hsHeader, body(`,"dev":1`), secret), nil, token.ErrMalformed},
		{"missing exp", forge(t, hsHeader, `{"iss":"api_key_prod","iat":1800000000,"jti":"j1"}`, secret), nil, token.ErrMalformed},
		{"missing iat", forge(t, hsHeader, `{"iss":"api_key_prod","exp":1800003600,"jti":"j1"}`, secret), nil, token.ErrMalformed},
		{"missing jti", forge(t, hsHeader, `{"iss":"api_key_prod","exp":1800003600,"iat":1800000000}`, secret), nil, token.ErrMalformed},
		{"empty jti", forge(t, hsHeader, `{"iss":"api_key_prod","exp":1800003600,"iat":1800000000,"jti":""}`, secret), nil, token.ErrMalformed},
		{"exp string", forge(t, hsHeader, `{"iss":"api_key_prod","exp":"1800003600","iat":1800000000,"jti":"j1"}`, secret), nil, token.ErrMalformed},
		{"exp fraction", forge(t, hsHeader, `{"iss":"api_key_prod","exp":1800003600.5,"iat":1800000000,"jti":"j1"}`, secret), nil, token.ErrMalformed},
		{"exp exponent", forge(t, hsHeader, `{"iss":"api_key_prod","exp":18000036e2,"iat":1800000000,"jti":"j1"}`, secret), nil, token.ErrMalformed},
		{"exp leading zero", forge(t, hsHeader, `{"iss":"api_key_prod","exp":01800003600,"iat":1800000000,"jti":"j1"}`, secret), nil, token.ErrMalformed},
		{"exp before iat", forge(t, hsHeader, `{"iss":"api_key_prod","exp":1799999999,"iat":1800000000,"jti":"j1"}`, secret), nil, token.ErrMalformed},
		{"exp int64 max", forge(t, hsHeader, `{"iss":"api_key_prod","exp":9223372036854775807,"iat":1800000000,"jti":"j1"}`, secret), nil, token.ErrMalformed},
		{"exp beyond int64", forge(t, hsHeader, `{"iss":"api_key_prod","exp":92233720368547758070000,"iat":1800000000,"jti":"j1"}`, secret), nil, token.ErrMalformed},
		{"iat negative", forge(t, hsHeader, `{"iss":"api_key_prod","exp":1800003600,"iat":-9223372036854775808,"jti":"j1"}`, secret), nil, token.ErrMalformed},
		{"lifetime over cap", forge(t, hsHeader, `{"iss":"api_key_prod","exp":`+date(24*time.Hour+time.Second)+`,"iat":1800000000,"jti":"j1"}`, secret), nil, token.ErrLifetimeTooLong},
		{"lifetime year 9999", forge(t, hsHeader, `{"iss":"api_key_prod","exp":253402300799,"iat":0,"jti":"j1"}`, secret), nil, token.ErrLifetimeTooLong},
		{"dev token over 1h", forge(t, hsHeader, `{"iss":"api_key_prod","exp":`+date(time.Hour+time.Second)+`,"iat":1800000000,"jti":"j1","dev":true}`, secret), nil, token.ErrLifetimeTooLong},
		{"dev key without dev claim", forge(t, `{"alg":"HS256","kid":"api_key_dev"}`, `{"iss":"api_key_dev","exp":1800003600,"iat":1800000000,"jti":"j1"}`, devSecret), nil, token.ErrMalformed},
		{"dev key with dev false", forge(t, `{"alg":"HS256","kid":"api_key_dev"}`, `{"iss":"api_key_dev","exp":1800003600,"iat":1800000000,"jti":"j1","dev":false}`, devSecret), nil, token.ErrMalformed},
		{"dev key token over 1h", forge(t, `{"alg":"HS256","kid":"api_key_dev"}`, `{"iss":"api_key_dev","exp":1800007200,"iat":1800000000,"jti":"j1","dev":true}`, devSecret), nil, token.ErrLifetimeTooLong},
		{"development rejected", mint(t, k.dev, sampleClaims()), []token.Option{token.RejectDevelopment()}, token.ErrDevelopmentToken},
		{"wrong issuer", forge(t, hsHeader, `{"iss":"api_key_dev","exp":1800003600,"iat":1800000000,"jti":"j1"}`, secret), nil, token.ErrWrongIssuer},
		{"missing issuer", forge(t, hsHeader, `{"exp":1800003600,"iat":1800000000,"jti":"j1"}`, secret), nil, token.ErrWrongIssuer},
		{"wrong audience", good, []token.Option{token.WithAudience(access.AudienceAPI)}, token.ErrWrongAudience},
		{"expired", forge(t, hsHeader, `{"iss":"api_key_prod","exp":`+date(-31*time.Second)+`,"iat":`+date(-time.Hour)+`,"jti":"j1"}`, secret), nil, token.ErrExpired},
		{"expired without leeway", forge(t, hsHeader, `{"iss":"api_key_prod","exp":`+date(-time.Second)+`,"iat":`+date(-time.Hour)+`,"jti":"j1"}`, secret), []token.Option{token.WithLeeway(0)}, token.ErrExpired},
		{"nbf in future", forge(t, hsHeader, body(`,"nbf":`+date(31*time.Second)), secret), nil, token.ErrNotYetValid},
		{"iat in future", forge(t, hsHeader, `{"iss":"api_key_prod","exp":`+date(time.Hour)+`,"iat":`+date(31*time.Second)+`,"jti":"j1"}`, secret), nil, token.ErrNotYetValid},
		{"EdDSA header jwk", enc.EncodeToString([]byte(`{"alg":"EdDSA","kid":"`+k.ed.ID()+`","jwk":{}}`)) + "." + ep + "." + otherSig, nil, token.ErrMalformed},
		{"EdDSA header with typ", enc.EncodeToString([]byte(edHeader)) + "." + ep + "." + otherSig, nil, token.ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verify(verifier(k.set, tc.opts...), tc.tok)
			wantErr(t, err, tc.want)
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	k := testKeys(t)
	date := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	for _, tc := range []struct {
		name string
		tok  string
	}{
		{"within leeway after exp", forge(t, hsHeader, `{"iss":"api_key_prod","exp":`+date(-29*time.Second)+`,"iat":`+date(-time.Hour)+`,"jti":"j1"}`, secret)},
		{"nbf within leeway", forge(t, hsHeader, body(`,"nbf":`+date(29*time.Second)), secret)},
		{"lifetime exactly 24h", forge(t, hsHeader, `{"iss":"api_key_prod","exp":`+date(24*time.Hour)+`,"iat":1800000000,"jti":"j1"}`, secret)},
		{"unknown claims", forge(t, hsHeader, body(`,"x":[1,{"y":null}],"ext":"z"`), secret)},
		{"no typ", forge(t, `{"alg":"HS256","kid":"api_key_prod"}`, body(""), secret)},
		{"whitespace", forge(t, " {\"alg\" : \"HS256\",\n\"kid\":\"api_key_prod\"} ", body(`, "grants" : { "rooms" : [ "a" ] } `), secret)},
		{"escapes", forge(t, hsHeader, body(`,"app":"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"`), secret)},
		{"metadata any value", forge(t, hsHeader, body(`,"user":{"type":"anonymous","metadata":[1,-2.5e3,"x",true,false,null]}`), secret)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := verify(verifier(k.set), tc.tok); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func TestExpiredReturnsClaims(t *testing.T) {
	k := testKeys(t)
	c := sampleClaims()
	c.IssuedAt = now.Add(-2 * time.Hour)
	c.NotBefore = time.Time{}
	c.ExpiresAt = now.Add(-time.Hour)
	got, err := verify(verifier(k.set), mint(t, k.ed, c))
	wantErr(t, err, token.ErrExpired)
	if got == nil || got.Subject != c.Subject {
		t.Fatalf("claims = %+v, want the token's claims", got)
	}
}

func TestNonCanonicalBase64(t *testing.T) {
	k := testKeys(t)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	claims := body("")
	for len(enc.EncodeToString([]byte(claims)))%4 == 0 {
		claims += " "
	}
	tok := forge(t, hsHeader, claims, secret)
	if _, err := verify(verifier(k.set), tok); err != nil {
		t.Fatalf("canonical token rejected: %v", err)
	}
	h, p, _ := segments(t, tok)
	last := strings.IndexByte(alphabet, p[len(p)-1])
	p = p[:len(p)-1] + string(alphabet[last+1])
	input := h + "." + p
	bad := input + "." + enc.EncodeToString(hmacSHA256(secret, []byte(input)))
	_, err := verify(verifier(k.set), bad)
	wantErr(t, err, token.ErrMalformed)
}

func TestResolverFailure(t *testing.T) {
	k := testKeys(t)
	failing := token.KeyResolverFunc(func(ctx context.Context, kid string) (*token.Key, error) {
		return nil, errors.New("database down")
	})
	_, err := verify(verifier(failing), mint(t, k.hs, sampleClaims()))
	if err == nil || errors.Is(err, token.ErrUnknownKey) || !strings.Contains(err.Error(), "database down") {
		t.Fatalf("error = %v, want the resolver's error", err)
	}
}
