package token

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/stagedoor/stagedoor/access"
)

// claimNames are the top-level claims, in the order of their bits.
var claimNames = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "app", "grants", "user", "dev"}

const (
	claimIss = iota
	claimSub
	claimAud
	claimExp
	claimNbf
	claimIat
	claimJti
	claimApp
	claimGrants
	claimUser
	claimDev
)

// claimIndex returns the bit of a known claim name, or -1.
func claimIndex(name string) int {
	switch name {
	case "iss":
		return claimIss
	case "sub":
		return claimSub
	case "aud":
		return claimAud
	case "exp":
		return claimExp
	case "nbf":
		return claimNbf
	case "iat":
		return claimIat
	case "jti":
		return claimJti
	case "app":
		return claimApp
	case "grants":
		return claimGrants
	case "user":
		return claimUser
	case "dev":
		return claimDev
	}
	return -1
}

// parseHeader decodes a JOSE header. alg and kid are required and typ,
// when present, must be JWT. Any other member is rejected: each changes
// how some implementation processes the token (cty nests a token, crit,
// b64 and zip change the payload, jku, jwk, x5u and x5c redirect key
// lookup), and one that this verifier ignores could be honoured by
// another that reads the same token.
func parseHeader(s string) (Header, error) {
	var h Header
	d := scanner{s: s}
	if !d.consume('{') {
		return h, malformed("header is not a JSON object")
	}
	var got uint8
	for n := 0; ; n++ {
		name, more, err := d.member(n)
		if err != nil {
			return h, err
		}
		if !more {
			break
		}
		var dst *string
		var bit uint8
		switch name {
		case "alg":
			dst, bit = &h.Alg, 1
		case "typ":
			dst, bit = &h.Typ, 2
		case "kid":
			dst, bit = &h.Kid, 4
		default:
			return h, malformed("header member " + quote(name) + " is not allowed")
		}
		if got&bit != 0 {
			return h, malformed("duplicate header member " + quote(name))
		}
		got |= bit
		if *dst, err = d.str(); err != nil {
			return h, err
		}
	}
	if err := d.end(); err != nil {
		return h, err
	}
	switch {
	case h.Alg == "":
		return h, malformed("missing alg")
	case h.Kid == "":
		return h, malformed("missing kid")
	case got&2 != 0 && h.Typ != "JWT":
		return h, malformed("typ must be JWT")
	}
	return h, nil
}

// claimsBox holds a claim set and its user in one allocation.
type claimsBox struct {
	c Claims
	u User
}

// spans locates the permissions and rooms in the scratch string slice.
type spans struct {
	p0, p1, r0, r1 int
	rooms          bool
}

// parseClaims decodes and structurally validates a claim set. strs is
// scratch space for the permission and room names. Unknown top-level
// claims are accepted and ignored; case variants of known ones are not.
func parseClaims(s string, strs *[]string) (*Claims, error) {
	d := scanner{s: s}
	if !d.consume('{') {
		return nil, malformed("claims are not a JSON object")
	}
	var c Claims
	var u User
	var sp spans
	var exp, nbf, iat int64
	var got uint16
	var other nameSet
	for n := 0; ; n++ {
		name, more, err := d.member(n)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		bit := claimIndex(name)
		if bit < 0 {
			if foldsToAny(name, claimNames) {
				return nil, malformed("case variant of claim " + quote(name))
			}
			if !other.add(name) {
				return nil, malformed("duplicate claim " + quote(name))
			}
			if _, err := d.value(); err != nil {
				return nil, err
			}
			continue
		}
		if got&(1<<bit) != 0 {
			return nil, malformed("duplicate claim " + quote(name))
		}
		got |= 1 << bit
		switch bit {
		case claimIss:
			c.Issuer, err = d.str()
		case claimSub:
			c.Subject, err = d.str()
		case claimAud:
			var aud string
			aud, err = d.str()
			c.Audience = access.Audience(aud)
		case claimExp:
			exp, err = d.date()
		case claimNbf:
			nbf, err = d.date()
		case claimIat:
			iat, err = d.date()
		case claimJti:
			c.ID, err = d.str()
		case claimApp:
			c.App, err = d.str()
		case claimGrants:
			err = d.grants(&c.Grants, strs, &sp)
		case claimUser:
			err = d.user(&u)
		case claimDev:
			c.Dev, err = d.boolean()
		}
		if err != nil {
			return nil, err
		}
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	switch {
	case c.ID == "":
		return nil, malformed("missing jti")
	case got&(1<<claimExp) == 0:
		return nil, malformed("missing exp")
	case got&(1<<claimIat) == 0:
		return nil, malformed("missing iat")
	case exp <= iat:
		return nil, malformed("exp is not after iat")
	}
	box := &claimsBox{c: c}
	box.c.IssuedAt = time.Unix(iat, 0).UTC()
	box.c.ExpiresAt = time.Unix(exp, 0).UTC()
	if got&(1<<claimNbf) != 0 {
		box.c.NotBefore = time.Unix(nbf, 0).UTC()
	}
	if got&(1<<claimUser) != 0 {
		box.u = u
		box.c.User = &box.u
	}
	if names := *strs; len(names) > 0 {
		all := slices.Clone(names)
		clear(names)
		if sp.p1 > sp.p0 {
			box.c.Grants.Permissions = all[sp.p0:sp.p1:sp.p1]
		}
		if sp.rooms {
			box.c.Grants.Rooms = all[sp.r0:sp.r1:sp.r1]
		}
	}
	return &box.c, nil
}

// grants decodes the grants object. Unknown members are rejected, since
// ignoring a restriction added later would widen access.
func (d *scanner) grants(g *Grants, strs *[]string, sp *spans) error {
	if !d.consume('{') {
		return malformed("grants must be an object")
	}
	var got uint8
	for n := 0; ; n++ {
		name, more, err := d.member(n)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		var bit uint8
		switch name {
		case "role":
			bit = 1
			g.Role, err = d.str()
		case "permissions":
			bit = 2
			sp.p0 = len(*strs)
			err = d.names(strs, "permissions")
			sp.p1 = len(*strs)
		case "rooms":
			bit = 4
			sp.r0 = len(*strs)
			err = d.names(strs, "rooms")
			sp.r1 = len(*strs)
			sp.rooms = true
		case "participant":
			bit = 8
			g.Participant, err = d.str()
		default:
			return malformed("unknown grants member " + quote(name))
		}
		if err != nil {
			return err
		}
		if got&bit != 0 {
			return malformed("duplicate grants member " + quote(name))
		}
		got |= bit
	}
	perms := (*strs)[sp.p0:sp.p1]
	for i := 1; i < len(perms); i++ {
		if perms[i-1] >= perms[i] {
			return malformed("permissions must be sorted and unique")
		}
	}
	if sp.rooms && sp.r0 == sp.r1 {
		return malformed("rooms must not be empty; omit it for any room")
	}
	if hasDuplicate((*strs)[sp.r0:sp.r1]) {
		return malformed("duplicate room")
	}
	return nil
}

// names appends the elements of an array of non-empty strings to strs.
func (d *scanner) names(strs *[]string, what string) error {
	if !d.consume('[') {
		return malformed(what + " must be an array")
	}
	for n := 0; ; n++ {
		more, err := d.element(n)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
		s, err := d.str()
		if err != nil {
			return malformed(what + " must hold strings")
		}
		if s == "" {
			return malformed(what + " must not hold empty strings")
		}
		*strs = append(*strs, s)
	}
}

// user decodes the user object.
func (d *scanner) user(u *User) error {
	if !d.consume('{') {
		return malformed("user must be an object")
	}
	var got uint8
	for n := 0; ; n++ {
		name, more, err := d.member(n)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		var bit uint8
		switch name {
		case "type":
			bit = 1
			var typ string
			typ, err = d.str()
			u.Type = access.UserType(typ)
		case "name":
			bit = 2
			u.Name, err = d.str()
		case "image":
			bit = 4
			u.Image, err = d.str()
		case "metadata":
			bit = 8
			var start int
			if start, err = d.value(); err == nil {
				u.Metadata = json.RawMessage(d.s[start:d.i])
			}
		default:
			return malformed("unknown user member " + quote(name))
		}
		if err != nil {
			return err
		}
		if got&bit != 0 {
			return malformed("duplicate user member " + quote(name))
		}
		got |= bit
	}
	if !validUserType(u.Type) {
		return malformed("user type must be authenticated, guest or anonymous")
	}
	return nil
}

func validUserType(t access.UserType) bool {
	return t == access.Authenticated || t == access.GuestUser || t == access.Anonymous
}

// hasDuplicate reports whether names holds a name twice.
func hasDuplicate(names []string) bool {
	if len(names) > 16 {
		sorted := slices.Clone(names)
		slices.Sort(sorted)
		names = slices.Compact(sorted)
		return len(names) != len(sorted)
	}
	for i := range names {
		if slices.Contains(names[i+1:], names[i]) {
			return true
		}
	}
	return false
}
