package server

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/token"
)

// problemTypeBase prefixes each problem's stable code to make its type URI.
const problemTypeBase = "https://stagedoor.dev/problems/"

// Problem is an RFC 9457 problem detail. Code is stable and machine-readable.
type Problem struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	Status  int    `json:"status"`
	Detail  string `json:"detail,omitempty"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Missing string `json:"missing_permission,omitempty"`

	// challenge is the WWW-Authenticate header of a 401 or 403.
	challenge string
	// retryAfter, if set, becomes the Retry-After header of a 429 or 503.
	retryAfter time.Duration
}

func newProblem(status int, code, detail string) *Problem {
	return &Problem{Type: problemTypeBase + code, Title: http.StatusText(status), Status: status, Detail: detail, Code: code}
}

func (p *Problem) Error() string { return p.Detail }

// bearerChallenge is RFC 6750's WWW-Authenticate value.
func bearerChallenge(errCode, desc, scope string) string {
	s := `Bearer realm="stagedoor", error="` + errCode + `", error_description=` + strconv.Quote(desc)
	if scope != "" {
		s += `, scope="` + scope + `"`
	}
	return s
}

// unavailableRetry is when to try again after a 503 for an unreachable
// store: a restarting database is usually back within seconds.
const unavailableRetry = time.Second

const basicChallenge = `Basic realm="stagedoor", charset="UTF-8"`

// problemFor maps a domain error to its HTTP problem: the one place where
// errors become statuses.
func problemFor(err error) *Problem {
	var (
		p    *Problem
		te   *token.Error
		fe   *access.ForbiddenError
		inv  *access.InvalidError
		ur   *access.UnknownRoleError
		up   *access.UnknownPermissionError
		nf   *authority.NotFoundError
		conf *authority.ConflictError
	)
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &te):
		p = newProblem(http.StatusUnauthorized, te.Reason, te.Error())
		p.challenge = bearerChallenge("invalid_token", te.Error(), "")
	case errors.Is(err, authority.ErrRevoked):
		p = newProblem(http.StatusUnauthorized, "revoked", "token revoked")
		p.challenge = bearerChallenge("invalid_token", "token revoked", "")
	case errors.Is(err, authority.ErrUnauthenticated):
		p = newProblem(http.StatusUnauthorized, "invalid_client", err.Error())
		p.challenge = basicChallenge
	case errors.Is(err, authority.ErrRefreshReused):
		p = newProblem(http.StatusBadRequest, "refresh_reused", err.Error())
	case errors.Is(err, authority.ErrRefreshInvalid):
		p = newProblem(http.StatusBadRequest, "invalid_grant", err.Error())
	case errors.As(err, &fe):
		p = newProblem(http.StatusForbidden, string(fe.Reason), fe.Detail)
		scope := ""
		if fe.Reason == access.ReasonMissingPermission {
			scope = fe.Missing.String()
			p.Missing = scope
		}
		p.challenge = bearerChallenge("insufficient_scope", fe.Detail, scope)
	case errors.As(err, &inv):
		p = newProblem(http.StatusBadRequest, "invalid_request", inv.Error())
		p.Field = inv.Field
	case errors.As(err, &ur):
		p = newProblem(http.StatusBadRequest, "invalid_request", ur.Error())
		p.Field = "role"
	case errors.As(err, &up):
		p = newProblem(http.StatusBadRequest, "invalid_request", up.Error())
		p.Field = "permissions"
	case errors.As(err, &nf):
		p = newProblem(http.StatusNotFound, "not_found", nf.Error())
	case errors.As(err, &conf):
		p = newProblem(http.StatusConflict, cmp.Or(conf.Code, "conflict"), conf.Detail)
	case errors.Is(err, authority.ErrUnavailable):
		p = newProblem(http.StatusServiceUnavailable, "unavailable", "storage is unavailable; try again")
		p.retryAfter = unavailableRetry
	default:
		p = newProblem(http.StatusInternalServerError, "internal", "internal error")
	}
	return p
}

func writeProblem(w http.ResponseWriter, p *Problem) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if p.challenge != "" {
		h.Set("WWW-Authenticate", p.challenge)
	}
	if p.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((p.retryAfter+time.Second-1)/time.Second)))
	}
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
