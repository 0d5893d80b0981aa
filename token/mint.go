package token

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/stagedoor/stagedoor/access"
)

var b64 = base64.RawURLEncoding

// padSize is the room left before a signing input for the HMAC inner pad.
const padSize = sha256.BlockSize

// scratch is per-call working memory, pooled to avoid allocations.
type scratch struct {
	buf  []byte   // signing input, preceded by the HMAC inner pad
	json []byte   // claims JSON (Mint) or decoded header and claims (Verify)
	strs []string // permission and room names (Verify)
	sig  [ed25519.SignatureSize]byte
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func putScratch(sc *scratch) {
	if cap(sc.buf) > 64<<10 || cap(sc.json) > 64<<10 || cap(sc.strs) > 1024 {
		return
	}
	clear(sc.strs[:cap(sc.strs)])
	sc.strs = sc.strs[:0]
	scratchPool.Put(sc)
}

// grow returns b resized to n bytes, reallocating only when needed.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n, n+n/4)
	}
	return b[:n]
}

// Mint signs the claims with key and returns the compact token.
//
// With an HS256 key, iss is set to the key id (a different non-empty
// Issuer is an error). With an access.Development key, dev is set.
// Permissions are written sorted. The claims must have an ID, IssuedAt and
// ExpiresAt, with ExpiresAt after IssuedAt by at most access.MaxTTL, or
// access.MaxTTLDevelopment for development tokens. Every permission must
// be a name of access's vocabulary, and the role, when set, a role name
// (access.ValidRoleName). Mint does not modify c.
func Mint(key *Key, c *Claims) (string, error) {
	if key == nil || (key.alg == EdDSA && key.priv == nil) {
		return "", newError(ErrInvalidKey, "key cannot sign")
	}
	if c == nil {
		return "", newError(ErrInvalidClaims, "nil claims")
	}
	iss := c.Issuer
	if key.alg == HS256 {
		if iss != "" && iss != key.id {
			return "", newError(ErrInvalidClaims, "iss of an HS256 token must be its key id")
		}
		iss = key.id
	}
	dev := c.Dev || key.kind == access.Development
	perms, err := checkClaims(c, dev)
	if err != nil {
		return "", err
	}
	sc := getScratch()
	defer putScratch(sc)
	sc.json = appendClaims(sc.json[:0], c, iss, dev, perms)

	off := 0
	if key.alg == HS256 {
		off = padSize
	}
	n := len(key.header) + 1 + b64.EncodedLen(len(sc.json))
	sc.buf = grow(sc.buf, off+n)
	copy(sc.buf, key.ipad[:off])
	copy(sc.buf[off:], key.header)
	sc.buf[off+len(key.header)] = '.'
	b64.Encode(sc.buf[off+len(key.header)+1:], sc.json)
	input := sc.buf[off:]

	var sig []byte
	if key.alg == HS256 {
		mac := key.hmac(sc.buf)
		sig = mac[:]
	} else {
		sig = ed25519.Sign(key.priv, input)
	}
	var enc [88]byte
	sl := b64.EncodedLen(len(sig))
	b64.Encode(enc[:], sig)
	var sb strings.Builder
	sb.Grow(n + 1 + sl)
	sb.Write(input)
	sb.WriteByte('.')
	sb.Write(enc[:sl])
	return sb.String(), nil
}

// hmac returns HMAC-SHA256 of a message that padded holds after the
// sha256.BlockSize bytes of the key's inner pad.
func (k *Key) hmac(padded []byte) [sha256.Size]byte {
	var outer [sha256.BlockSize + sha256.Size]byte
	copy(outer[:], k.opad[:])
	inner := sha256.Sum256(padded)
	copy(outer[sha256.BlockSize:], inner[:])
	return sha256.Sum256(outer[:])
}

// checkClaims validates claims for Mint and returns the permissions,
// sorted (a copy when c's are not).
func checkClaims(c *Claims, dev bool) ([]string, error) {
	g := &c.Grants
	switch {
	case c.ID == "":
		return nil, newError(ErrInvalidClaims, "missing ID")
	case c.IssuedAt.IsZero() || c.ExpiresAt.IsZero():
		return nil, newError(ErrInvalidClaims, "missing IssuedAt or ExpiresAt")
	case !validDate(c.IssuedAt.Unix()) || !validDate(c.ExpiresAt.Unix()) ||
		(!c.NotBefore.IsZero() && !validDate(c.NotBefore.Unix())):
		return nil, newError(ErrInvalidClaims, "time out of range")
	case c.ExpiresAt.Unix() <= c.IssuedAt.Unix():
		return nil, newError(ErrInvalidClaims, "ExpiresAt is not after IssuedAt")
	case g.Rooms != nil && len(g.Rooms) == 0:
		return nil, newError(ErrInvalidClaims, "empty Rooms; use nil for any room")
	case slices.Contains(g.Rooms, "") || slices.Contains(g.Permissions, ""):
		return nil, newError(ErrInvalidClaims, "empty room or permission name")
	case hasDuplicate(g.Rooms):
		return nil, newError(ErrInvalidClaims, "duplicate room")
	case c.User != nil && !validUserType(c.User.Type):
		return nil, newError(ErrInvalidClaims, "user type must be authenticated, guest or anonymous")
	}
	if err := checkLifetime(c.IssuedAt.Unix(), c.ExpiresAt.Unix(), dev); err != nil {
		return nil, err
	}
	if !validStrings(c) {
		return nil, newError(ErrInvalidClaims, "string is not valid UTF-8")
	}
	if u := c.User; u != nil && u.Metadata != nil {
		d := scanner{s: string(u.Metadata)}
		if _, err := d.value(); err != nil {
			return nil, newError(ErrInvalidClaims, "metadata: "+err.(*Error).Detail)
		}
		if d.end() != nil {
			return nil, newError(ErrInvalidClaims, "metadata: trailing data after JSON value")
		}
	}
	perms := g.Permissions
	if !slices.IsSorted(perms) {
		perms = slices.Sorted(slices.Values(perms))
	}
	for i := 1; i < len(perms); i++ {
		if perms[i-1] == perms[i] {
			return nil, newError(ErrInvalidClaims, "duplicate permission")
		}
	}
	if _, fault := vocabulary(g); fault != "" {
		return nil, newError(ErrInvalidClaims, fault)
	}
	return perms, nil
}

// checkLifetime reports exp - iat above the cap; both are valid dates, so
// the difference cannot overflow.
func checkLifetime(iat, exp int64, dev bool) error {
	limit := int64(access.MaxTTL.Seconds())
	if dev {
		limit = int64(access.MaxTTLDevelopment.Seconds())
	}
	if exp-iat > limit {
		return newError(ErrLifetimeTooLong, "exp - iat exceeds the maximum TTL")
	}
	return nil
}

func validDate(t int64) bool { return t >= 0 && t <= maxDate }

func validStrings(c *Claims) bool {
	ok := utf8.ValidString(c.Issuer) && utf8.ValidString(c.Subject) &&
		utf8.ValidString(string(c.Audience)) && utf8.ValidString(c.ID) &&
		utf8.ValidString(c.App) && utf8.ValidString(c.Grants.Role) &&
		utf8.ValidString(c.Grants.Participant)
	for _, s := range c.Grants.Permissions {
		ok = ok && utf8.ValidString(s)
	}
	for _, s := range c.Grants.Rooms {
		ok = ok && utf8.ValidString(s)
	}
	if u := c.User; u != nil {
		ok = ok && utf8.ValidString(u.Name) && utf8.ValidString(u.Image)
	}
	return ok
}
