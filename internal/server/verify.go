package server

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/problem"
	"github.com/stagedoor/stagedoor/token"
)

type verifyRequest struct {
	Room          string `json:"room"`
	Permission    string `json:"permission"`
	ParticipantID string `json:"participant_id"`
}

func (v *verifyRequest) member(name string) *string {
	switch name {
	case "room":
		return &v.Room
	case "permission":
		return &v.Permission
	case "participant_id":
		return &v.ParticipantID
	}
	return nil
}

type verifyResponse struct {
	Allowed bool   `json:"allowed"`
	Subject string `json:"sub"`
	App     string `json:"app"`
	grantsView
	ExpiresAt time.Time `json:"expires_at"`
}

// grantsView is a token's grants as the API shows them: read through the
// claims seam (token.GrantsOf), role and permissions always present.
type grantsView struct {
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
	Rooms       []string `json:"rooms,omitempty"`
	Participant string   `json:"participant,omitempty"`
}

func viewOf(g access.Grants) grantsView {
	return grantsView{Role: g.Role, Permissions: g.Permissions.Names(), Rooms: g.Rooms, Participant: g.Participant}
}

// verify answers "may this token do permission in room": the question a
// media server asks.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	err := s.verifyOnce(w, r)
	outcome := "allowed"
	if err != nil {
		outcome = problemFor(err).Code
	}
	s.metrics.verifications.with(outcome).Inc()
	return err
}

func (s *Server) verifyOnce(w http.ResponseWriter, r *http.Request) error {
	raw, ok := problem.BearerToken(r)
	if !ok {
		return problem.MissingBearer()
	}
	var req verifyRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Permission == "" {
		return &access.InvalidError{Field: "permission", Detail: "required"}
	}
	p, err := access.ParsePermission(req.Permission)
	if err != nil {
		return &access.InvalidError{Field: "permission", Detail: err.Error()}
	}
	v, err := s.auth.Check(r.Context(), raw, req.Room, p, req.ParticipantID)
	if err != nil {
		return err
	}
	c := v.Claims
	writeVerified(w, verifyResponse{Allowed: true, Subject: c.Subject, App: c.App, grantsView: viewOf(v.Grants), ExpiresAt: c.ExpiresAt.UTC()})
	return nil
}

// activeToken is RFC 7662's answer about an active token: its members
// and stagedoor's claims, with the user claim as the token spells it.
type activeToken struct {
	Active    bool            `json:"active"`
	TokenType string          `json:"token_type"`
	ClientID  string          `json:"client_id"`
	Issuer    string          `json:"iss"`
	Subject   string          `json:"sub"`
	Audience  access.Audience `json:"aud"`
	ID        string          `json:"jti"`
	App       string          `json:"app"`
	IssuedAt  int64           `json:"iat"`
	ExpiresAt int64           `json:"exp"`
	NotBefore *int64          `json:"nbf,omitempty"`
	Scope     string          `json:"scope"`
	Grants    grantsView      `json:"grants"`
	User      *token.User     `json:"user,omitempty"`
	Dev       bool            `json:"dev,omitempty"`
}

// introspect is RFC 7662 token introspection for an app's backend.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.authenticate(r)
	if err != nil {
		return err
	}
	raw, err := introspectToken(r)
	if err != nil {
		return err
	}
	in := s.auth.Introspect(r.Context(), authority.AsKey(caller), raw)
	if !in.Active {
		writeJSON(w, http.StatusOK, map[string]bool{"active": false})
		return nil
	}
	c, g := in.Claims, viewOf(in.Grants)
	out := activeToken{Active: true, TokenType: "Bearer", ClientID: c.Issuer, Issuer: c.Issuer, Subject: c.Subject, Audience: c.Audience,
		ID: c.ID, App: c.App, IssuedAt: c.IssuedAt.Unix(), ExpiresAt: c.ExpiresAt.Unix(), Scope: strings.Join(g.Permissions, " "),
		Grants: g, User: c.User, Dev: c.Dev}
	if !c.NotBefore.IsZero() {
		nbf := c.NotBefore.Unix()
		out.NotBefore = &nbf
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// introspectBody is RFC 7662's request as JSON.
type introspectBody struct {
	Token         string `json:"token"`
	TokenTypeHint string `json:"token_type_hint"`
}

// introspectToken reads the token parameter, form-encoded as RFC 7662 says
// or as JSON.
func introspectToken(r *http.Request) (string, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return "", readError(err)
			}
			return "", &access.InvalidError{Field: "token", Detail: "malformed form body"}
		}
		return requiredToken(r.PostForm)
	}
	var body introspectBody
	if err := decode(r, &body); err != nil {
		return "", err
	}
	return requiredToken(url.Values{"token": {body.Token}})
}

func requiredToken(v url.Values) (string, error) {
	if t := v.Get("token"); t != "" {
		return t, nil
	}
	return "", &access.InvalidError{Field: "token", Detail: "required"}
}
