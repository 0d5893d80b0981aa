package token

import (
	"encoding/json"
	"time"

	"github.com/stagedoor/stagedoor/access"
)

// The signing algorithms.
const (
	// HS256 is HMAC-SHA256 with an API key secret.
	HS256 = "HS256"
	// EdDSA is Ed25519 with a service signing key.
	EdDSA = "EdDSA"
)

// Header is the JOSE header of a token.
type Header struct {
	Alg string // "HS256" or "EdDSA"
	Typ string // "JWT" or empty
	Kid string // id of the signing key
}

// Claims is the claim set of a token. Times are whole seconds; a zero
// time means the claim is absent.
type Claims struct {
	Issuer    string          // iss; the API key id for HS256 tokens
	Subject   string          // sub; the user id, or access.AnonymousSubject
	Audience  access.Audience // aud; access.AudienceRTC or access.AudienceAPI
	ID        string          // jti; unique token id, required
	App       string          // app; the app id, optional
	IssuedAt  time.Time       // iat; required
	NotBefore time.Time       // nbf; optional
	ExpiresAt time.Time       // exp; required
	Grants    Grants          // grants
	User      *User           // user; nil when absent
	Dev       bool            // dev; set on development tokens
}

// Grants is what a token lets its holder do, as the token spells it;
// GrantsOf reads it in the access package's terms.
type Grants struct {
	// Role is the name of the role the grants were resolved from.
	Role string
	// Permissions are the resolved permission names of access's
	// vocabulary, sorted and unique.
	Permissions []string
	// Rooms limits the token to these rooms. Nil means any room of the
	// app; a non-nil empty slice is invalid.
	Rooms       []string
	Participant string // participant identity in the room, optional
}

// User describes the person a token was issued to. Its JSON encoding is
// the token's user claim.
type User struct {
	Type     access.UserType `json:"type"`               // access.Authenticated, GuestUser or Anonymous
	Name     string          `json:"name,omitempty"`     // display name, optional
	Image    string          `json:"image,omitempty"`    // image URL, optional
	Metadata json.RawMessage `json:"metadata,omitempty"` // any JSON value, optional
}
