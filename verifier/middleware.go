package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

type claimsKey struct{}

// ClaimsFrom returns the claims Require stored in the request's context.
func ClaimsFrom(ctx context.Context) (*token.Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*token.Claims)
	return c, ok
}

// RequireOption adjusts Require.
type RequireOption func(*requirement)

type requirement struct {
	room        func(*http.Request) string
	participant func(*http.Request) string
}

// RoomFrom sets how the room is found in a request; by default it is the
// {room} path value, else the room query parameter.
func RoomFrom(f func(*http.Request) string) RequireOption {
	return func(r *requirement) { r.room = f }
}

// ParticipantFrom sets how the acting participant is found in a request;
// by default no identity is claimed.
func ParticipantFrom(f func(*http.Request) string) RequireOption {
	return func(r *requirement) { r.participant = f }
}

func defaultRoom(r *http.Request) string {
	if room := r.PathValue("room"); room != "" {
		return room
	}
	return r.URL.Query().Get("room")
}

// Require is net/http middleware that lets a request through only with a
// Bearer token allowing p; it answers 401 and 403 as POST /v1/verify does
// (RFC 9457 problem+json with RFC 6750 WWW-Authenticate).
func (v *Verifier) Require(p access.Permission, opts ...RequireOption) func(http.Handler) http.Handler {
	req := requirement{room: defaultRoom, participant: func(*http.Request) string { return "" }}
	for _, o := range opts {
		o(&req)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, ok := bearerToken(r)
			if !ok {
				deny(w, http.StatusUnauthorized, "invalid_token", "a Bearer access token is required", `Bearer realm="stagedoor"`, "")
				return
			}
			c, err := v.Check(r.Context(), raw, req.room(r), p, req.participant(r))
			var te *token.Error
			var fe *access.ForbiddenError
			switch {
			case errors.As(err, &te):
				deny(w, http.StatusUnauthorized, te.Reason, te.Error(), challenge("invalid_token", te.Error(), ""), "")
			case errors.As(err, &fe):
				scope := ""
				if fe.Reason == access.ReasonMissingPermission {
					scope = fe.Missing.String()
				}
				deny(w, http.StatusForbidden, string(fe.Reason), fe.Detail, challenge("insufficient_scope", fe.Detail, scope), scope)
			case err != nil:
				deny(w, http.StatusServiceUnavailable, "unavailable", "token check failed", "", "")
			default:
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, c)))
			}
		})
	}
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
		return "", false
	}
	t := strings.TrimSpace(h[7:])
	return t, t != ""
}

func challenge(code, desc, scope string) string {
	s := `Bearer realm="stagedoor", error="` + code + `", error_description=` + strconv.Quote(desc)
	if scope != "" {
		s += `, scope="` + scope + `"`
	}
	return s
}

func deny(w http.ResponseWriter, status int, code, detail, wwwAuth, missing string) {
	if wwwAuth != "" {
		w.Header().Set("WWW-Authenticate", wwwAuth)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	problem := map[string]any{
		"type": "https://stagedoor.dev/problems/" + code, "title": http.StatusText(status), "status": status,
		"detail": detail, "code": code,
	}
	if missing != "" {
		problem["missing_permission"] = missing
	}
	json.NewEncoder(w).Encode(problem)
}
