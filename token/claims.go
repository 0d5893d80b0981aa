package token

import (
	"encoding/json"
	"time"
)

// Algorithms, audiences, user types and the anonymous subject of the wire
// format.
const (
	// HS256 is HMAC-SHA256 with an API key secret.
	HS256 = "HS256"
	// EdDSA is Ed25519 with a service signing key.
	EdDSA = "EdDSA"

	// AudienceRTC is the aud of media (real-time) tokens.
	AudienceRTC = "rtc"
	// AudienceAPI is the aud of server-API tokens.
	AudienceAPI = "api"

	// UserAuthenticated is the user type of a signed-in user.
	UserAuthenticated = "authenticated"
	// UserGuest is the user type of a named guest.
	UserGuest = "guest"
	// UserAnonymous is the user type of an anonymous user.
	UserAnonymous = "anonymous"
	// AnonymousSubject is the sub of tokens for anonymous users.
	AnonymousSubject = "!anon"
)

// Maximum token lifetimes, measured as exp - iat.
const (
	// MaxTTL caps tokens signed with production and service keys.
	MaxTTL = 24 * time.Hour
	// MaxTTLDevelopment caps development tokens: those with dev set or
	// signed with a Development key.
	MaxTTLDevelopment = time.Hour
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
	Issuer    string    // iss; the API key id for HS256 tokens
	Subject   string    // sub; the user id, or AnonymousSubject
	Audience  string    // aud; AudienceRTC or AudienceAPI
	ID        string    // jti; unique token id, required
	App       string    // app; the app id, optional
	IssuedAt  time.Time // iat; required
	NotBefore time.Time // nbf; optional
	ExpiresAt time.Time // exp; required
	Grants    Grants    // grants
	User      *User     // user; nil when absent
	Dev       bool      // dev; set on development tokens
}

// Grants is what a token lets its holder do.
type Grants struct {
	Role string // role name
	// Permissions are the resolved permission names, sorted and unique.
	Permissions []string
	// Rooms limits the token to these rooms. Nil means any room of the
	// app; a non-nil empty slice is invalid.
	Rooms       []string
	Participant string // participant identity in the room, optional
}

// User describes the person a token was issued to.
type User struct {
	Type     string          // UserAuthenticated, UserGuest or UserAnonymous
	Name     string          // display name, optional
	Image    string          // image URL, optional
	Metadata json.RawMessage // any JSON value, optional
}
