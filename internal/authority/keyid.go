package authority

import (
	"encoding/base64"
	"strings"
)

// An API key id is keyIDPrefix and keyIDRandom random bytes in unpadded
// base64url. Ids are public (every token names its key in iss), so a
// request's key id is attacker-chosen: WellFormedKeyID lets callers refuse
// one that no key can have before it is looked up or remembered anywhere.
const (
	keyIDPrefix = "sdk_"
	keyIDRandom = 12
)

var keyIDLen = len(keyIDPrefix) + base64.RawURLEncoding.EncodedLen(keyIDRandom)

func newKeyID() string { return randomID(keyIDPrefix, keyIDRandom) }

// WellFormedKeyID reports whether id has the shape of the ids CreateAPIKey
// gives: "sdk_" and 16 characters of the base64url alphabet.
func WellFormedKeyID(id string) bool {
	if len(id) != keyIDLen || !strings.HasPrefix(id, keyIDPrefix) {
		return false
	}
	for _, c := range []byte(id[len(keyIDPrefix):]) {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
