package token

import (
	"crypto/ed25519"
	"encoding/json"

	jose "github.com/go-jose/go-jose/v4"
	josejson "github.com/go-jose/go-jose/v4/json"
)

// jwk is the JSON Web Key form of an Ed25519 key, in member order.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	D   string `json:"d,omitempty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// PublicJWK returns the public JWK of an Ed25519 key:
// {"kty":"OKP","crv":"Ed25519","x":...,"kid":...,"alg":"EdDSA","use":"sig"}.
func (k *Key) PublicJWK() ([]byte, error) {
	if k.alg != EdDSA {
		return nil, newError(ErrInvalidKey, "only Ed25519 keys have a JWK form")
	}
	return json.Marshal(k.jwk(false))
}

// PrivateJWK returns the private JWK of an Ed25519 signing key, the public
// JWK plus the seed as "d", for saving the key to a file. Keep it secret.
func (k *Key) PrivateJWK() ([]byte, error) {
	if k.alg != EdDSA || k.priv == nil {
		return nil, newError(ErrInvalidKey, "only Ed25519 signing keys have a private JWK form")
	}
	return json.Marshal(k.jwk(true))
}

func (k *Key) jwk(private bool) jwk {
	j := jwk{Kty: "OKP", Crv: "Ed25519", X: b64.EncodeToString(k.pub), Kid: k.id, Alg: EdDSA, Use: "sig"}
	if private {
		j.D = b64.EncodeToString(k.priv.Seed())
	}
	return j
}

// JWKS returns the JSON Web Key Set of the set's Ed25519 keys, public
// parts only, for publishing. HS256 keys are never included.
func (s *KeySet) JWKS() ([]byte, error) {
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, k := range s.keys {
		if k.alg == EdDSA {
			set.Keys = append(set.Keys, k.jwk(false))
		}
	}
	return json.Marshal(set)
}

// ParseJWK parses a public or private Ed25519 JWK, as written by PublicJWK
// or PrivateJWK, into an access.Service key. kid is required; alg and use,
// when present, must be EdDSA and sig.
func ParseJWK(data []byte) (*Key, error) {
	var j jose.JSONWebKey
	if err := j.UnmarshalJSON(data); err != nil {
		return nil, newError(ErrInvalidKey, err.Error())
	}
	return fromJOSE(&j)
}

// ParseJWKS parses a JSON Web Key Set, such as one published by another
// service, into a KeySet of its Ed25519 keys. Keys of other types (RSA,
// EC, symmetric) are skipped; an Ed25519 key that is invalid, lacks a kid
// or repeats one is an error. Private parts, if present, are dropped.
func ParseJWKS(data []byte) (*KeySet, error) {
	var raw struct {
		Keys []josejson.RawMessage `json:"keys"`
	}
	if err := josejson.Unmarshal(data, &raw); err != nil {
		return nil, newError(ErrInvalidKey, "JWKS: "+err.Error())
	}
	if raw.Keys == nil {
		return nil, newError(ErrInvalidKey, "JWKS without keys member")
	}
	var keys []*Key
	for _, r := range raw.Keys {
		var typ struct {
			Kty string `json:"kty"`
			Crv string `json:"crv"`
		}
		if err := josejson.Unmarshal(r, &typ); err != nil {
			return nil, newError(ErrInvalidKey, "JWKS: "+err.Error())
		}
		if typ.Kty != "OKP" || typ.Crv != "Ed25519" {
			continue
		}
		k, err := ParseJWK(r)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k.Public())
	}
	return NewKeySet(keys...)
}

func fromJOSE(j *jose.JSONWebKey) (*Key, error) {
	if j.Algorithm != "" && j.Algorithm != EdDSA {
		return nil, newError(ErrInvalidKey, "JWK alg must be EdDSA")
	}
	if j.Use != "" && j.Use != "sig" {
		return nil, newError(ErrInvalidKey, "JWK use must be sig")
	}
	switch key := j.Key.(type) {
	case ed25519.PrivateKey:
		return NewEd25519Key(j.KeyID, key)
	case ed25519.PublicKey:
		return NewEd25519PublicKey(j.KeyID, key)
	}
	return nil, newError(ErrInvalidKey, "JWK is not an Ed25519 key")
}
