package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/stagedoor/stagedoor/revocation"
)

// CreateToken mints an access token for one of the app's users: the call
// a partner backend makes, with its API key, for a user it has logged in.
func (c *Client) CreateToken(ctx context.Context, req TokenRequest) (Token, error) {
	var t Token
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/tokens", body: req}, &t)
	return t, err
}

// CreateGuest creates a guest user, with a generated id, and its token:
// with an API key, or with a token holding invite (never beyond what the
// inviter holds).
func (c *Client) CreateGuest(ctx context.Context, req GuestRequest) (Token, error) {
	var t Token
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/guests", body: req}, &t)
	return t, err
}

// RefreshToken trades a refresh token for a new access token and a new
// refresh token; the one given is spent. Presenting a spent refresh token
// ends its whole family (400 refresh_reused). It needs no credential:
// the refresh token is one.
func (c *Client) RefreshToken(ctx context.Context, refreshToken string) (Token, error) {
	var t Token
	body := struct {
		RefreshToken string `json:"refresh_token"`
	}{refreshToken}
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/tokens/refresh", body: body, auth: authNone}, &t)
	return t, err
}

// Verify asks whether accessToken may do req.Permission in req.Room: a
// media server's question. An allowed token answers its grants; a refused
// one is an *Error, 401 (invalid_token: expired, revoked, malformed...) or
// 403 (insufficient_scope, naming the missing permission).
func (c *Client) Verify(ctx context.Context, accessToken string, req VerifyRequest) (Verification, error) {
	var v Verification
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/verify", body: req, auth: authToken, bearer: accessToken}, &v)
	return v, err
}

// Introspect is RFC 7662 introspection of accessToken, for the app's
// backend: Active is false for a token that is invalid, expired, revoked or
// of another app.
func (c *Client) Introspect(ctx context.Context, accessToken string) (Introspection, error) {
	var in Introspection
	body := struct {
		Token string `json:"token"`
	}{accessToken}
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/introspect", body: body}, &in)
	return in, err
}

// Revoke makes the tokens req matches invalid before they expire, and ends
// their sessions.
func (c *Client) Revoke(ctx context.Context, req RevokeRequest) (revocation.Revocation, error) {
	var r revocation.Revocation
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/revocations", body: req}, &r)
	return r, err
}

// Revocations reads the revocation feed after the cursor: at most limit
// entries (0: the server's page size) and the cursor to read on from.
func (c *Client) Revocations(ctx context.Context, after int64, limit int) (revocation.Page, error) {
	q := url.Values{"after": {strconv.FormatInt(after, 10)}}
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var p revocation.Page
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/revocations", query: q}, &p)
	return p, err
}

// The session policies of SetSessionPolicy.
const (
	// PolicyJoin checks a token only when its holder joins.
	PolicyJoin = "join"
	// PolicyContinuous also ends a session when its token expires, unless
	// replaced (RoomSession.RenewToken).
	PolicyContinuous = "continuous"
)

// SetSessionPolicy sets how the app's sessions treat their tokens' expiry.
func (c *Client) SetSessionPolicy(ctx context.Context, policy string) error {
	body := struct {
		Policy string `json:"policy"`
	}{policy}
	return c.do(ctx, call{method: http.MethodPut, path: "/v1/app/session-policy", body: body}, nil)
}
