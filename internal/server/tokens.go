package server

import (
	"net/http"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/problem"
)

// tokenResponse is the body of every token-issuing endpoint.
type tokenResponse struct {
	AccessToken  string     `json:"access_token"`
	TokenType    string     `json:"token_type"`
	ExpiresIn    int64      `json:"expires_in"`
	ExpiresAt    time.Time  `json:"expires_at"`
	RefreshToken string     `json:"refresh_token,omitempty"`
	User         *guestUser `json:"user,omitempty"`
}

type guestUser struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Name  string `json:"name"`
	Image string `json:"image,omitempty"`
}

func issued(t authority.Issued) tokenResponse {
	return tokenResponse{AccessToken: t.AccessToken, TokenType: "Bearer", ExpiresIn: int64(t.TTL / time.Second),
		ExpiresAt: t.ExpiresAt.UTC(), RefreshToken: t.RefreshToken}
}

// createToken is CreateAccessToken: a partner backend mints a token for one
// of its users.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.authenticate(r)
	if err != nil {
		return err
	}
	s.allowDevelopmentOrigin(w, r, caller)
	var req tokenRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	t, err := s.auth.IssueToken(r.Context(), authority.AsKey(caller), req.request())
	if err != nil {
		return err
	}
	s.metrics.minted.with("token").Inc()
	writeJSON(w, http.StatusCreated, issued(t))
	return nil
}

// createGuest creates a guest user, for an API key or for a token holding
// invite.
func (s *Server) createGuest(w http.ResponseWriter, r *http.Request) error {
	var (
		t   authority.Issued
		err error
		g   guestRequest
	)
	if raw, ok := problem.BearerToken(r); ok {
		// A token that does not verify is refused before its body is read.
		if _, verr := s.auth.Verify(r.Context(), raw); verr != nil {
			return verr
		}
		if err := decode(r, &g); err != nil {
			return err
		}
		t, err = s.auth.CreateGuest(r.Context(), authority.AsToken(raw), g.guest())
	} else {
		caller, aerr := s.authenticate(r)
		if aerr != nil {
			return aerr
		}
		s.allowDevelopmentOrigin(w, r, caller)
		if err := decode(r, &g); err != nil {
			return err
		}
		t, err = s.auth.CreateGuest(r.Context(), authority.AsKey(caller), g.guest())
	}
	if err != nil {
		return err
	}
	s.metrics.minted.with("guest").Inc()
	resp := issued(t)
	resp.User = &guestUser{ID: t.Claims.Subject, Type: string(access.GuestUser), Name: g.Name, Image: g.Image}
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// refreshToken trades a refresh token for new access and refresh tokens.
func (s *Server) refreshToken(w http.ResponseWriter, r *http.Request) error {
	var req refreshRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.RefreshToken == "" {
		return &access.InvalidError{Field: "refresh_token", Detail: "required"}
	}
	t, err := s.auth.Refresh(r.Context(), req.RefreshToken)
	if err != nil {
		return err
	}
	s.metrics.minted.with("refresh").Inc()
	writeJSON(w, http.StatusCreated, issued(t))
	return nil
}

// allowDevelopmentOrigin lets a page read the answer to a request
// authenticated with a development key, so that a front end under
// development can mint its own tokens; never with a production key, whose
// secret must not reach a browser.
func (s *Server) allowDevelopmentOrigin(w http.ResponseWriter, r *http.Request, c authority.Caller) {
	if origin := r.Header.Get("Origin"); origin != "" && c.Kind == access.Development {
		allowOrigin(w, origin)
	}
}
