package token

import (
	"encoding/json"
	"time"

	"github.com/stagedoor/stagedoor/access"
)

// This file is the seam between the access package's grants and the
// claims of a token: NewClaims writes resolved grants into claims, GrantsOf
// reads them back, and both hold the names a token carries to access's
// vocabulary, as Mint does.

// Spec is a token to mint, in the access package's terms: who it is for,
// the grants resolved for it (access.Resolve), the key it traces back to
// and its lifetime.
type Spec struct {
	// Issuer is the id of the API key the token is issued for, its iss.
	Issuer string
	// Kind is that key's kind; access.Development marks the token dev.
	Kind     access.KeyKind
	Subject  string
	Audience access.Audience
	ID       string
	App      string
	// IssuedAt is cut to whole seconds; the token is valid from then for
	// TTL.
	IssuedAt time.Time
	TTL      time.Duration
	Grants   access.Grants
	// Name, Image and Metadata are what the token says about its user.
	Name, Image string
	Metadata    json.RawMessage
}

// NewClaims returns the claims of the token s describes: the grants'
// permissions as their sorted names, nbf equal to iat, and a user claim
// when the user is not access.Authenticated (an empty User counts as
// Authenticated) or has a name, an image or metadata. It checks nothing:
// Mint does.
func NewClaims(s Spec) *Claims {
	iat := s.IssuedAt.Truncate(time.Second)
	g := s.Grants
	c := &Claims{
		Issuer: s.Issuer, Subject: s.Subject, Audience: s.Audience, ID: s.ID, App: s.App,
		IssuedAt: iat, NotBefore: iat, ExpiresAt: iat.Add(s.TTL),
		Grants: Grants{Role: g.Role, Permissions: g.Permissions.Names(), Rooms: g.Rooms, Participant: g.Participant},
		Dev:    s.Kind == access.Development,
	}
	user := g.User
	if user == "" {
		user = access.Authenticated
	}
	if user != access.Authenticated || s.Name != "" || s.Image != "" || len(s.Metadata) > 0 {
		c.User = &User{Type: user, Name: s.Name, Image: s.Image, Metadata: s.Metadata}
	}
	return c
}

// GrantsOf reads the grants of c in the access package's terms. A role
// that is not a role name, a permission outside the vocabulary, an unknown
// user type, and a subject, participant or room that breaks the name rule
// (access.CheckName) make the token malformed: a token must speak the
// vocabulary, and carry no name the API would refuse (one that could not
// be revoked or addressed). So does an audience other than an access
// token's (rtc, api, or none): a token for something else, such as the
// console's "admin", grants nothing in rooms.
func GrantsOf(c *Claims) (access.Grants, error) {
	if _, err := access.ParseAudience(string(c.Audience)); err != nil {
		return access.Grants{}, malformed("aud " + quote(string(c.Audience)) + " is not the audience of an access token")
	}
	if err := checkNames(c); err != nil {
		return access.Grants{}, malformed(err.Error())
	}
	perms, fault := vocabulary(&c.Grants)
	if fault != "" {
		return access.Grants{}, malformed(fault)
	}
	user := access.Authenticated
	if c.User != nil {
		var err error
		if user, err = access.ParseUserType(string(c.User.Type)); err != nil {
			return access.Grants{}, malformed(err.Error())
		}
	}
	return access.Grants{Role: c.Grants.Role, Permissions: perms, Rooms: c.Grants.Rooms, Participant: c.Grants.Participant, User: user}, nil
}

// vocabulary reads the permissions of g into a set, and says what in g
// access's vocabulary does not know. A role is checked as a name only:
// without an app's catalog, a custom role cannot be told from a misspelt
// one.
func vocabulary(g *Grants) (access.Set, string) {
	if g.Role != "" && !access.ValidRoleName(g.Role) {
		return 0, "role " + quote(g.Role) + " is not a role name"
	}
	var set access.Set
	for _, name := range g.Permissions {
		p, err := access.ParsePermission(name)
		if err != nil {
			return 0, "permission " + quote(name) + " is not in the vocabulary"
		}
		set |= access.Of(p)
	}
	return set, ""
}

// checkNames applies the name rule to the names a token carries; an
// absent subject or participant is no name.
func checkNames(c *Claims) error {
	if c.Subject != "" {
		if err := access.CheckName("sub", c.Subject); err != nil {
			return err
		}
	}
	if c.Grants.Participant != "" {
		if err := access.CheckName("grants.participant", c.Grants.Participant); err != nil {
			return err
		}
	}
	for _, room := range c.Grants.Rooms {
		if err := access.CheckName("grants.rooms", room); err != nil {
			return err
		}
	}
	return nil
}
