package token_test

import (
	"encoding/json"

	"github.com/golang-jwt/jwt/v5"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

func init() {
	// aud is a single string in the wire format.
	jwt.MarshalSingleStringAsArray = false
}

// jwtClaims is the stagedoor claim set as a golang-jwt v5 claims type,
// for benchmarks and cross-checks.
type jwtClaims struct {
	App    string    `json:"app,omitempty"`
	Grants jwtGrants `json:"grants"`
	User   *jwtUser  `json:"user,omitempty"`
	Dev    bool      `json:"dev,omitempty"`
	jwt.RegisteredClaims
}

type jwtGrants struct {
	Role        string   `json:"role,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
	Rooms       []string `json:"rooms,omitempty"`
	Participant string   `json:"participant,omitempty"`
}

type jwtUser struct {
	Type     access.UserType `json:"type"`
	Name     string          `json:"name,omitempty"`
	Image    string          `json:"image,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// toJWT converts claims to their golang-jwt form.
func toJWT(c *token.Claims, iss string) *jwtClaims {
	j := &jwtClaims{
		App:    c.App,
		Grants: jwtGrants(c.Grants),
		Dev:    c.Dev,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    iss,
			Subject:   c.Subject,
			Audience:  jwt.ClaimStrings{string(c.Audience)},
			ExpiresAt: jwt.NewNumericDate(c.ExpiresAt),
			NotBefore: jwt.NewNumericDate(c.NotBefore),
			IssuedAt:  jwt.NewNumericDate(c.IssuedAt),
			ID:        c.ID,
		},
	}
	if c.User != nil {
		u := jwtUser(*c.User)
		j.User = &u
	}
	return j
}
