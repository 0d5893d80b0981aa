// Package secret keeps secrets at rest encrypted under the master key:
// AES-256-GCM with a random nonce, bound by associated data to the record
// it belongs to so that a ciphertext copied onto another row does not open.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the master key's length in bytes.
const KeySize = 32

const version = 1

// ErrOpen is returned when a ciphertext does not open: wrong master key,
// wrong record, or tampering.
var ErrOpen = errors.New("secret: ciphertext does not open with this master key")

// Box seals and opens secrets with one master key.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for a KeySize-byte master key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: master key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext for the record named by aad.
func (b *Box) Seal(plaintext []byte, aad string) ([]byte, error) {
	out := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return b.aead.Seal(out, out[1:], plaintext, []byte(aad)), nil
}

// Open decrypts what Seal produced for the same aad.
func (b *Box) Open(ciphertext []byte, aad string) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(ciphertext) < 1+n+b.aead.Overhead() || ciphertext[0] != version {
		return nil, ErrOpen
	}
	out, err := b.aead.Open(nil, ciphertext[1:1+n], ciphertext[1+n:], []byte(aad))
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}

// Equal compares two secrets in constant time.
func Equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// ParseKey decodes a master key given as standard or URL-safe base64.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	return nil, fmt.Errorf("secret: master key must be %d bytes in base64", KeySize)
}

// LoadOrCreateKeyFile reads the master key at path, or creates one with mode
// 0600 when the file does not exist. created reports which happened.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	data, err := os.ReadFile(path)
	if err == nil {
		fi, statErr := os.Stat(path)
		if statErr == nil && fi.Mode().Perm()&0o077 != 0 {
			return nil, false, fmt.Errorf("secret: master key file %s is readable by others (mode %o); chmod 600 it", path, fi.Mode().Perm())
		}
		key, err := ParseKey(string(data))
		return key, false, err
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, err
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, false, err
	}
	return key, true, f.Close()
}
