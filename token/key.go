package token

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"io"

	"github.com/stagedoor/stagedoor/access"
)

// MinSecretSize is the minimum length in bytes of an HS256 secret.
const MinSecretSize = 32

// Key is a signing or verification key: an HS256 API key secret, an
// Ed25519 private key, or an Ed25519 public key (verification only). Its
// kind says which lifetime cap its tokens are held to: HS256 keys are
// access.Production or access.Development API keys, Ed25519 keys are
// access.Service keys. A Key is immutable and safe for concurrent use.
type Key struct {
	id     string
	kind   access.KeyKind
	alg    string
	header string // base64url JOSE header written by Mint
	// ipad and opad are the HMAC key blocks XORed with 0x36 and 0x5c.
	ipad, opad [sha256.BlockSize]byte
	priv       ed25519.PrivateKey
	pub        ed25519.PublicKey
}

// NewHMACKey returns an HS256 API key with the given key id. Its kind must
// be access.Production or access.Development and its secret at least
// MinSecretSize bytes. The key id is a non-empty printable ASCII string of
// at most 256 bytes without quote or backslash.
func NewHMACKey(id string, secret []byte, kind access.KeyKind) (*Key, error) {
	if kind != access.Production && kind != access.Development {
		return nil, newError(ErrInvalidKey, "HS256 keys must be production or development keys")
	}
	if len(secret) < MinSecretSize {
		return nil, newError(ErrInvalidKey, "HS256 secret shorter than 32 bytes")
	}
	k, err := newKey(id, kind, HS256)
	if err != nil {
		return nil, err
	}
	block := secret
	if len(block) > sha256.BlockSize {
		sum := sha256.Sum256(secret)
		block = sum[:]
	}
	copy(k.ipad[:], block)
	copy(k.opad[:], block)
	for i := range k.ipad {
		k.ipad[i] ^= 0x36
		k.opad[i] ^= 0x5c
	}
	return k, nil
}

// NewEd25519Key returns an access.Service signing key with the given key
// id.
func NewEd25519Key(id string, priv ed25519.PrivateKey) (*Key, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, newError(ErrInvalidKey, "bad Ed25519 private key size")
	}
	k, err := newKey(id, access.Service, EdDSA)
	if err != nil {
		return nil, err
	}
	k.priv = append(ed25519.PrivateKey(nil), priv...)
	k.pub = k.priv.Public().(ed25519.PublicKey)
	return k, nil
}

// NewEd25519PublicKey returns an access.Service verification key with the
// given key id. It cannot sign.
func NewEd25519PublicKey(id string, pub ed25519.PublicKey) (*Key, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, newError(ErrInvalidKey, "bad Ed25519 public key size")
	}
	k, err := newKey(id, access.Service, EdDSA)
	if err != nil {
		return nil, err
	}
	k.pub = append(ed25519.PublicKey(nil), pub...)
	return k, nil
}

// GenerateSigningKey returns a new Ed25519 access.Service signing key with a
// random 128-bit key id, reading randomness from r (crypto/rand if nil).
func GenerateSigningKey(r io.Reader) (*Key, error) {
	if r == nil {
		r = rand.Reader
	}
	_, priv, err := ed25519.GenerateKey(r)
	if err != nil {
		return nil, err
	}
	var id [16]byte
	if _, err := io.ReadFull(r, id[:]); err != nil {
		return nil, err
	}
	return NewEd25519Key(base64.RawURLEncoding.EncodeToString(id[:]), priv)
}

// ID returns the key id, the kid of tokens signed with the key.
func (k *Key) ID() string { return k.id }

// Kind returns the kind of the key.
func (k *Key) Kind() access.KeyKind { return k.kind }

// Algorithm returns HS256 or EdDSA, the only algorithm the key allows.
func (k *Key) Algorithm() string { return k.alg }

// PublicKey returns the Ed25519 public key, or nil for an HS256 key.
func (k *Key) PublicKey() ed25519.PublicKey { return k.pub }

// Public returns the verification-only form of an Ed25519 key, or nil for
// an HS256 key, whose secret is needed to verify.
func (k *Key) Public() *Key {
	if k.alg != EdDSA {
		return nil
	}
	p := *k
	p.priv = nil
	return &p
}

func newKey(id string, kind access.KeyKind, alg string) (*Key, error) {
	if !validKeyID(id) {
		return nil, newError(ErrInvalidKey, "key id must be 1 to 256 printable ASCII characters without quote or backslash")
	}
	h := make([]byte, 0, 64+len(id))
	h = append(h, `{"alg":"`...)
	h = append(h, alg...)
	h = append(h, `","typ":"JWT","kid":"`...)
	h = append(h, id...)
	h = append(h, `"}`...)
	return &Key{id: id, kind: kind, alg: alg, header: base64.RawURLEncoding.EncodeToString(h)}, nil
}

func validKeyID(id string) bool {
	if len(id) == 0 || len(id) > 256 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
