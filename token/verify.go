package token

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stagedoor/stagedoor/access"
)

// Verification defaults.
const (
	// DefaultMaxSize is the default maximum length of a token in bytes.
	DefaultMaxSize = 8 << 10
	// DefaultLeeway is the default allowance for clock skew.
	DefaultLeeway = 30 * time.Second
)

// Verifier checks tokens. It is safe for concurrent use.
type Verifier struct {
	keys      KeyResolver
	audience  access.Audience
	leeway    int64 // seconds
	now       func() time.Time
	maxSize   int
	rejectDev bool
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithAudience makes the verifier require aud to equal audience.
func WithAudience(audience access.Audience) Option {
	return func(v *Verifier) { v.audience = audience }
}

// WithLeeway sets the allowance for clock skew, in whole seconds, applied
// to exp, nbf and iat. Negative values mean no leeway.
func WithLeeway(d time.Duration) Option {
	return func(v *Verifier) { v.leeway = max(int64(d/time.Second), 0) }
}

// WithClock sets the function that returns the current time.
func WithClock(now func() time.Time) Option {
	return func(v *Verifier) { v.now = now }
}

// WithMaxSize sets the maximum length of a token in bytes.
func WithMaxSize(n int) Option {
	return func(v *Verifier) { v.maxSize = n }
}

// RejectDevelopment makes the verifier reject development tokens, those
// with dev set, with ErrDevelopmentToken.
func RejectDevelopment() Option {
	return func(v *Verifier) { v.rejectDev = true }
}

// NewVerifier returns a Verifier that finds keys with keys.
func NewVerifier(keys KeyResolver, opts ...Option) *Verifier {
	v := &Verifier{
		keys:    keys,
		leeway:  int64(DefaultLeeway / time.Second),
		now:     time.Now,
		maxSize: DefaultMaxSize,
	}
	for _, o := range opts {
		o(v)
	}
	return v
}

// Verify checks the token and returns its claims. It checks, in order:
// size and characters, header, that the key named by kid exists and
// allows alg, the signature, the claims' structure, that tokens of
// Development keys carry dev, the lifetime cap, RejectDevelopment, that
// the iss of an HS256 token is its kid, the audience, and exp, nbf and
// iat against the clock.
//
// Errors are *Error values, except errors of the key resolver other than
// ErrUnknownKey, which are wrapped. When only the time checks fail
// (ErrExpired, ErrNotYetValid), the authentic claims are returned along
// with the error for inspection; they must not be trusted for access.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	sc := getScratch()
	defer putScratch(sc)
	t, err := decode(token, v.maxSize, sc)
	if err != nil {
		return nil, err
	}
	h, err := parseHeader(t.header)
	if err != nil {
		return nil, err
	}
	if h.Alg != HS256 && h.Alg != EdDSA {
		return nil, newError(ErrAlgorithmNotAllowed, "alg "+quote(h.Alg)+" is not supported")
	}
	key, err := v.keys.ResolveKey(ctx, h.Kid)
	if err != nil {
		if errors.Is(err, ErrUnknownKey) {
			return nil, newError(ErrUnknownKey, "kid "+quote(h.Kid))
		}
		return nil, fmt.Errorf("token: resolve key %s: %w", quote(h.Kid), err)
	}
	if key == nil || key.id != h.Kid {
		return nil, newError(ErrUnknownKey, "kid "+quote(h.Kid))
	}
	if key.alg != h.Alg {
		return nil, newError(ErrAlgorithmNotAllowed, "key "+quote(h.Kid)+" does not allow "+quote(h.Alg))
	}
	if !key.verify(sc, t) {
		return nil, ErrBadSignature
	}
	c, err := parseClaims(t.claims, &sc.strs)
	if err != nil {
		return nil, err
	}
	if err := v.check(key, c); err != nil {
		if errors.Is(err, ErrExpired) || errors.Is(err, ErrNotYetValid) {
			return c, err
		}
		return nil, err
	}
	return c, nil
}

// check applies the checks after the signature to authentic claims.
func (v *Verifier) check(key *Key, c *Claims) error {
	iat, exp := c.IssuedAt.Unix(), c.ExpiresAt.Unix()
	if key.kind == access.Development && !c.Dev {
		return malformed("token of a development key without dev claim")
	}
	if err := checkLifetime(iat, exp, c.Dev); err != nil {
		return err
	}
	if v.rejectDev && c.Dev {
		return ErrDevelopmentToken
	}
	if key.alg == HS256 && c.Issuer != key.id {
		return newError(ErrWrongIssuer, "iss of an HS256 token must be its kid")
	}
	if v.audience != "" && c.Audience != v.audience {
		return newError(ErrWrongAudience, "aud "+quote(string(c.Audience))+", want "+quote(string(v.audience)))
	}
	// Dates are within [0, maxDate] and the leeway is below 2^34 seconds,
	// so clamping now keeps every sum below in range.
	now := min(max(v.now().Unix(), -maxDate), 2*maxDate)
	switch {
	case now-v.leeway >= exp:
		return ErrExpired
	case !c.NotBefore.IsZero() && c.NotBefore.Unix() > now+v.leeway:
		return newError(ErrNotYetValid, "nbf is in the future")
	case iat > now+v.leeway:
		return newError(ErrNotYetValid, "iat is in the future")
	}
	return nil
}

// Inspect decodes a token of at most DefaultMaxSize bytes WITHOUT
// verifying its signature or checking times, audience or keys, for
// display and debugging. Structure is checked as strictly as by Verify;
// any alg is accepted.
func Inspect(token string) (*Header, *Claims, error) {
	sc := getScratch()
	defer putScratch(sc)
	t, err := decode(token, DefaultMaxSize, sc)
	if err != nil {
		return nil, nil, err
	}
	h, err := parseHeader(t.header)
	if err != nil {
		return nil, nil, err
	}
	c, err := parseClaims(t.claims, &sc.strs)
	if err != nil {
		return nil, nil, err
	}
	return &h, c, nil
}

// parts is a token split and decoded by decode.
type parts struct {
	header, claims string // decoded JSON
	input          int    // length of the signing input
	sigLen         int    // length of the encoded signature
}

// decode checks the size and characters of a token before anything else,
// copies it into sc.buf after an HMAC pad block, and decodes the header
// and claims into one string.
func decode(token string, maxSize int, sc *scratch) (parts, error) {
	var t parts
	if len(token) > maxSize {
		return t, ErrTooLarge
	}
	var bad byte
	i := 0
	for ; i+4 <= len(token); i += 4 {
		bad |= notB64[token[i]] | notB64[token[i+1]] | notB64[token[i+2]] | notB64[token[i+3]]
	}
	for ; i < len(token); i++ {
		bad |= notB64[token[i]]
	}
	if bad != 0 {
		return t, malformed("character outside base64url")
	}
	d1 := strings.IndexByte(token, '.')
	d2 := strings.IndexByte(token[d1+1:], '.') + d1 + 1
	if d1 < 0 || d2 == d1 {
		return t, malformed("fewer than two dots")
	}
	if strings.IndexByte(token[d2+1:], '.') >= 0 {
		return t, malformed("more than two dots")
	}
	sc.buf = grow(sc.buf, padSize+len(token))
	copy(sc.buf[padSize:], token)
	enc := sc.buf[padSize:]
	sc.json = grow(sc.json, b64.DecodedLen(d1)+b64.DecodedLen(d2-d1-1))
	hl, err := strict.Decode(sc.json, enc[:d1])
	if err != nil || hl == 0 {
		return t, malformed("header is not base64url")
	}
	cl, err := strict.Decode(sc.json[hl:], enc[d1+1:d2])
	if err != nil || cl == 0 {
		return t, malformed("claims are not base64url")
	}
	s := string(sc.json[:hl+cl])
	t.header, t.claims = s[:hl], s[hl:]
	t.input = d2
	t.sigLen = len(token) - d2 - 1
	return t, nil
}

var strict = b64.Strict()

// notB64 is 1 for the bytes that are neither base64url nor a dot.
var notB64 = func() (t [256]byte) {
	for i := range t {
		t[i] = 1
	}
	for _, c := range []byte(".ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
		t[c] = 0
	}
	return t
}()

// verify checks the signature of a token decoded into sc by decode.
func (k *Key) verify(sc *scratch, t parts) bool {
	want := 32
	if k.alg == EdDSA {
		want = ed25519.SignatureSize
	}
	if t.sigLen != b64.EncodedLen(want) {
		return false
	}
	n, err := strict.Decode(sc.sig[:], sc.buf[padSize+t.input+1:])
	if err != nil || n != want {
		return false
	}
	if k.alg == EdDSA {
		return ed25519.Verify(k.pub, sc.buf[padSize:padSize+t.input], sc.sig[:])
	}
	copy(sc.buf, k.ipad[:])
	mac := k.hmac(sc.buf[:padSize+t.input])
	return hmac.Equal(mac[:], sc.sig[:want])
}
