package secret

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func newBox(t *testing.T) *Box {
	t.Helper()
	b, err := NewBox(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	b := newBox(t)
	ct, err := b.Seal([]byte("s3cret"), "api_key:k1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("s3cret")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	pt, err := b.Open(ct, "api_key:k1")
	if err != nil || string(pt) != "s3cret" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	ct2, _ := b.Seal([]byte("s3cret"), "api_key:k1")
	if bytes.Equal(ct, ct2) {
		t.Error("two seals of one secret are equal: nonce reused")
	}
}

func TestOpenFailures(t *testing.T) {
	b := newBox(t)
	ct, _ := b.Seal([]byte("s3cret"), "api_key:k1")
	other, _ := NewBox(bytes.Repeat([]byte{8}, KeySize))
	tampered := append([]byte(nil), ct...)
	tampered[len(tampered)-1] ^= 1
	cases := map[string]func() ([]byte, error){
		"other record":     func() ([]byte, error) { return b.Open(ct, "api_key:k2") },
		"other master key": func() ([]byte, error) { return other.Open(ct, "api_key:k1") },
		"tampered":         func() ([]byte, error) { return b.Open(tampered, "api_key:k1") },
		"truncated":        func() ([]byte, error) { return b.Open(ct[:5], "api_key:k1") },
		"unknown version":  func() ([]byte, error) { return b.Open(append([]byte{9}, ct[1:]...), "api_key:k1") },
	}
	for name, open := range cases {
		if _, err := open(); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: err = %v, want ErrOpen", name, err)
		}
	}
	if _, err := NewBox([]byte("short")); err == nil {
		t.Error("NewBox accepted a short key")
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "master.key")
	k1, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created || len(k1) != KeySize {
		t.Fatalf("create = %d bytes, %v, %v", len(k1), created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v", fi.Mode(), err)
	}
	k2, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("reload = %v, %v", created, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateKeyFile(path); err == nil {
		t.Error("a world-readable key file was accepted")
	}
}

func TestParseKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb}, KeySize)
	for _, s := range []string{base64.StdEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw) + "\n"} {
		if k, err := ParseKey(s); err != nil || !bytes.Equal(k, raw) {
			t.Errorf("ParseKey(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(raw[:16])} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
	if !Equal([]byte("a"), []byte("a")) || Equal([]byte("a"), []byte("b")) {
		t.Error("Equal is wrong")
	}
}
