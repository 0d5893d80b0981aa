package problem

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/revocation"
	"github.com/stagedoor/stagedoor/token"
)

// BearerToken returns the token of an "Authorization: Bearer" header; the
// scheme is case-insensitive (RFC 6750 §2.1).
func BearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
		return "", false
	}
	t := strings.TrimSpace(h[7:])
	return t, t != ""
}

// MissingBearer is the problem of a request that needs a Bearer token and
// carries none.
func MissingBearer() *Problem {
	p := New(http.StatusUnauthorized, "invalid_token", "a Bearer access token is required")
	p.Challenge = `Bearer realm="stagedoor"`
	return p
}

// ForToken is the problem of a refused token: 401 invalid_token for a
// *token.Error or revocation.ErrRevoked, 403 insufficient_scope for an
// *access.ForbiddenError (naming the missing permission, if that is the
// reason). It is nil for any other error.
func ForToken(err error) *Problem {
	var (
		te *token.Error
		fe *access.ForbiddenError
		p  *Problem
	)
	switch {
	case errors.As(err, &te):
		p = New(http.StatusUnauthorized, te.Reason, te.Error())
		p.Challenge = bearerChallenge("invalid_token", te.Error(), "")
	case errors.Is(err, revocation.ErrRevoked):
		p = New(http.StatusUnauthorized, "revoked", revocation.ErrRevoked.Error())
		p.Challenge = bearerChallenge("invalid_token", revocation.ErrRevoked.Error(), "")
	case errors.As(err, &fe):
		p = New(http.StatusForbidden, string(fe.Reason), fe.Detail)
		if fe.Reason == access.ReasonMissingPermission {
			p.Missing = fe.Missing.String()
		}
		p.Challenge = bearerChallenge("insufficient_scope", fe.Detail, p.Missing)
	}
	return p
}

// Forbidden is the 403 problem of a valid Bearer token whose holder may
// not do what it asked, for a reason other than a missing permission.
func Forbidden(code, detail string) *Problem {
	p := New(http.StatusForbidden, code, detail)
	p.Challenge = bearerChallenge("insufficient_scope", detail, "")
	return p
}

// bearerChallenge is RFC 6750's WWW-Authenticate value.
func bearerChallenge(errCode, desc, scope string) string {
	s := `Bearer realm="stagedoor", error="` + errCode + `", error_description=` + strconv.Quote(desc)
	if scope != "" {
		s += `, scope="` + scope + `"`
	}
	return s
}
