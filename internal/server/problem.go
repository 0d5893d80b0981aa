package server

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/problem"
)

// unavailableRetry is when to try again after a 503 for an unreachable
// store: a restarting database is usually back within seconds.
const unavailableRetry = time.Second

const basicChallenge = `Basic realm="stagedoor", charset="UTF-8"`

// problemFor maps a domain error to its HTTP problem: the one place where
// errors become statuses.
func problemFor(err error) *problem.Problem {
	var (
		p    *problem.Problem
		inv  *access.InvalidError
		ur   *access.UnknownRoleError
		up   *access.UnknownPermissionError
		nf   *authority.NotFoundError
		conf *authority.ConflictError
	)
	if errors.As(err, &p) {
		return p
	}
	if p := problem.ForToken(err); p != nil {
		return p
	}
	switch {
	case errors.Is(err, authority.ErrUnauthenticated):
		p = problem.New(http.StatusUnauthorized, "invalid_client", err.Error())
		p.Challenge = basicChallenge
	case errors.Is(err, authority.ErrOperatorOnly):
		p = problem.Forbidden("operator_only", err.Error())
	case errors.Is(err, authority.ErrOtherApp):
		p = problem.Forbidden("other_app", err.Error())
	case errors.Is(err, authority.ErrDevelopmentOwner):
		p = problem.Forbidden("development_key", err.Error())
	case errors.Is(err, authority.ErrLoginCode):
		p = problem.New(http.StatusBadRequest, "invalid_grant", err.Error())
		p.Field = "code"
	case errors.Is(err, authority.ErrRefreshReused):
		p = problem.New(http.StatusBadRequest, "refresh_reused", err.Error())
	case errors.Is(err, authority.ErrRefreshInvalid):
		p = problem.New(http.StatusBadRequest, "invalid_grant", err.Error())
	case errors.As(err, &inv):
		p = problem.New(http.StatusBadRequest, "invalid_request", inv.Error())
		p.Field = inv.Field
	case errors.As(err, &ur):
		p = problem.New(http.StatusBadRequest, "invalid_request", ur.Error())
		p.Field = "role"
	case errors.As(err, &up):
		p = problem.New(http.StatusBadRequest, "invalid_request", up.Error())
		p.Field = "permissions"
	case errors.As(err, &nf):
		p = problem.New(http.StatusNotFound, "not_found", nf.Error())
	case errors.As(err, &conf):
		p = problem.New(http.StatusConflict, cmp.Or(conf.Code, "conflict"), conf.Detail)
	case errors.Is(err, authority.ErrUnavailable):
		p = problem.New(http.StatusServiceUnavailable, "unavailable", "storage is unavailable; try again")
		p.RetryAfter = unavailableRetry
	default:
		p = problem.New(http.StatusInternalServerError, "internal", "internal error")
	}
	return p
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
