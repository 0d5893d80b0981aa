package verifier

import (
	"context"
	"net/http"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/problem"
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
// (RFC 9457 problem+json with RFC 6750 WWW-Authenticate, written by the
// same renderer), and 503 when the token could not be checked.
func (v *Verifier) Require(p access.Permission, opts ...RequireOption) func(http.Handler) http.Handler {
	req := requirement{room: defaultRoom, participant: func(*http.Request) string { return "" }}
	for _, o := range opts {
		o(&req)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, ok := problem.BearerToken(r)
			if !ok {
				problem.MissingBearer().Write(w)
				return
			}
			c, err := v.Check(r.Context(), raw, req.room(r), p, req.participant(r))
			if err != nil {
				refusal := problem.ForToken(err)
				if refusal == nil {
					refusal = problem.New(http.StatusServiceUnavailable, "unavailable", "token check failed")
				}
				refusal.Write(w)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, c)))
		})
	}
}
