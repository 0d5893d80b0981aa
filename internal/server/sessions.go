package server

import (
	"context"
	"net/http"
	"strconv"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/authority"
	"github.com/stagedoor/stagedoor/problem"
)

// join enters a room with the participant's Bearer token.
func (s *Server) join(w http.ResponseWriter, r *http.Request) error {
	raw, ok := problem.BearerToken(r)
	if !ok {
		return problem.MissingBearer()
	}
	if err := decode(r, &struct{}{}); err != nil {
		return err
	}
	ses, err := s.auth.Join(r.Context(), authority.AsToken(raw), r.PathValue("room"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sessionOf(ses))
	return nil
}

// sessionAction is an endpoint acting on one session with an empty body.
func (s *Server) sessionAction(act func(context.Context, authority.Principal, string, string) (authority.Session, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor, err := s.actor(r)
		if err != nil {
			return err
		}
		if err := decode(r, &struct{}{}); err != nil {
			return err
		}
		ses, err := act(r.Context(), actor, r.PathValue("room"), r.PathValue("session"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, sessionOf(ses))
		return nil
	}
}

type sourceBody struct {
	Source string `json:"source"`
}

// sourceAction is produce or unproduce.
func (s *Server) sourceAction(act func(context.Context, authority.Principal, string, string, string) (authority.Session, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor, err := s.actor(r)
		if err != nil {
			return err
		}
		var req sourceBody
		if err := decode(r, &req); err != nil {
			return err
		}
		if req.Source == "" {
			return &access.InvalidError{Field: "source", Detail: "required"}
		}
		ses, err := act(r.Context(), actor, r.PathValue("room"), r.PathValue("session"), req.Source)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, sessionOf(ses))
		return nil
	}
}

// updateSession is a moderator's mute, role or permissions change.
func (s *Server) updateSession(w http.ResponseWriter, r *http.Request) error {
	actor, err := s.actor(r)
	if err != nil {
		return err
	}
	var req sessionChangeRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ses, err := s.auth.UpdateSession(r.Context(), actor, r.PathValue("room"), r.PathValue("session"), req.change())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sessionOf(ses))
	return nil
}

// kick ends a session; ?block=true also bars its participant from the room.
func (s *Server) kick(w http.ResponseWriter, r *http.Request) error {
	actor, err := s.actor(r)
	if err != nil {
		return err
	}
	block := false
	if v := r.URL.Query().Get("block"); v != "" {
		if block, err = strconv.ParseBool(v); err != nil {
			return &access.InvalidError{Field: "block", Detail: "must be true or false"}
		}
	}
	ses, err := s.auth.Kick(r.Context(), actor, r.PathValue("room"), r.PathValue("session"), block)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sessionOf(ses))
	return nil
}

// sessionToken mints a token from the session's current rights.
func (s *Server) sessionToken(w http.ResponseWriter, r *http.Request) error {
	actor, err := s.actor(r)
	if err != nil {
		return err
	}
	var req formatBody
	if err := decode(r, &req); err != nil {
		return err
	}
	media, err := s.mediaFormat(req.Format)
	if err != nil {
		return err
	}
	if media {
		return s.writeLiveKit(w)(s.lk.SessionToken(r.Context(), actor, r.PathValue("room"), r.PathValue("session")))
	}
	t, err := s.auth.SessionToken(r.Context(), actor, r.PathValue("room"), r.PathValue("session"))
	if err != nil {
		return err
	}
	s.metrics.minted.with("session").Inc()
	writeJSON(w, http.StatusCreated, issued(t))
	return nil
}

type requestBody struct {
	ID         string `json:"id"`
	SessionID  string `json:"session_id"`
	Permission string `json:"permission"`
	State      string `json:"state"`
}

type resolvedBody struct {
	Request requestBody `json:"request"`
	Session sessionBody `json:"session"`
}

func requestOf(p authority.PermissionRequest) requestBody {
	return requestBody{ID: p.ID, SessionID: p.SessionID, Permission: p.Permission, State: p.State}
}

type permissionBody struct {
	Permission string `json:"permission"`
}

// requestPermission raises a hand: the session asks for a permission.
func (s *Server) requestPermission(w http.ResponseWriter, r *http.Request) error {
	actor, err := s.actor(r)
	if err != nil {
		return err
	}
	var req permissionBody
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Permission == "" {
		return &access.InvalidError{Field: "permission", Detail: "required"}
	}
	out, err := s.auth.RequestPermission(r.Context(), actor, r.PathValue("room"), r.PathValue("session"), req.Permission)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, requestOf(out))
	return nil
}

// resolveRequest is a moderator granting or denying a raised hand.
func (s *Server) resolveRequest(grant bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		actor, err := s.actor(r)
		if err != nil {
			return err
		}
		if err := decode(r, &struct{}{}); err != nil {
			return err
		}
		req, ses, err := s.auth.ResolveRequest(r.Context(), actor, r.PathValue("room"), r.PathValue("session"), r.PathValue("request"), grant)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, resolvedBody{Request: requestOf(req), Session: sessionOf(ses)})
		return nil
	}
}
