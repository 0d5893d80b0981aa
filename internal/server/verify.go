package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/problem"
)

type verifyRequest struct {
	Room          string `json:"room"`
	Permission    string `json:"permission"`
	ParticipantID string `json:"participant_id"`
}

type verifyResponse struct {
	Allowed     bool      `json:"allowed"`
	Subject     string    `json:"sub"`
	App         string    `json:"app"`
	Role        string    `json:"role"`
	Permissions []string  `json:"permissions"`
	Rooms       []string  `json:"rooms,omitempty"`
	Participant string    `json:"participant,omitempty"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// verify answers "may this token do permission in room": the question a
// media server asks.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	err := s.verifyOnce(w, r)
	outcome := "allowed"
	if err != nil {
		outcome = problemFor(err).Code
	}
	s.metrics.verifications.WithLabelValues(outcome).Inc()
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
	writeJSON(w, http.StatusOK, verifyResponse{Allowed: true, Subject: c.Subject, App: c.App, Role: c.Grants.Role,
		Permissions: c.Grants.Permissions, Rooms: c.Grants.Rooms, Participant: c.Grants.Participant, ExpiresAt: c.ExpiresAt.UTC()})
	return nil
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
	in := s.auth.Introspect(r.Context(), caller, raw)
	if !in.Active {
		writeJSON(w, http.StatusOK, map[string]bool{"active": false})
		return nil
	}
	c := in.Claims
	out := map[string]any{
		"active": true, "token_type": "Bearer", "client_id": c.Issuer, "iss": c.Issuer, "sub": c.Subject, "aud": c.Audience,
		"jti": c.ID, "app": c.App, "iat": c.IssuedAt.Unix(), "exp": c.ExpiresAt.Unix(),
		"scope": strings.Join(c.Grants.Permissions, " "),
	}
	perms := c.Grants.Permissions
	if perms == nil {
		perms = []string{}
	}
	grants := map[string]any{"role": c.Grants.Role, "permissions": perms}
	if c.Grants.Rooms != nil {
		grants["rooms"] = c.Grants.Rooms
	}
	if c.Grants.Participant != "" {
		grants["participant"] = c.Grants.Participant
	}
	out["grants"] = grants
	if !c.NotBefore.IsZero() {
		out["nbf"] = c.NotBefore.Unix()
	}
	if u := c.User; u != nil {
		out["user"] = userClaim{Type: u.Type, Name: u.Name, Image: u.Image, Metadata: u.Metadata}
	}
	if c.Dev {
		out["dev"] = true
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// userClaim is a token's user claim as the token spells it.
type userClaim struct {
	Type     string          `json:"type"`
	Name     string          `json:"name,omitempty"`
	Image    string          `json:"image,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
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
